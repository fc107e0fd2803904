// Drives the router's GraphiQL page in headless Chromium (Debian's, never a downloaded one):
// types a query and reads its result, then starts a subscription, triggers events through the
// router, and waits for each to show up in the result pane. Exits non-zero on any failure, after
// saving a screenshot to a temp path.
//
// usage: node graphiql.mjs ROUTER_URL   (env CHROMIUM: browser path, default /usr/bin/chromium)

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
if (!url) throw new Error('usage: node graphiql.mjs ROUTER_URL');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const timeout = 15000;

const QUERY = '{ topProducts { name price } }';
const SUBSCRIPTION = 'subscription { reviewAdded { body product { name } } }';

const profile = mkdtempSync(join(tmpdir(), 'router-graphiql-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(timeout);
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('requestfailed', (r) => {
  // A subscription's socket is closed on purpose at the end; anything else is a failure.
  if (!r.url().startsWith('ws')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
});

const step = (msg) => console.log(`graphiql: ${msg}`);

// Replaces the editor's text by typing it, the way a person would.
async function typeOperation(text) {
  await page.click('.graphiql-query-editor .CodeMirror');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text, { delay: 5 });
  await page.keyboard.press('Escape'); // closes an open autocomplete hint
  // The editor auto-closes brackets; typing the closing bracket steps over it, so the text must
  // come out exactly as typed. Whitespace aside, compare it.
  const typed = await page.$eval('.graphiql-query-editor .CodeMirror', (el) => el.CodeMirror.getValue());
  if (typed.replace(/\s+/g, ' ').trim() !== text) throw new Error(`editor holds ${JSON.stringify(typed)}`);
  // GraphiQL re-parses the editor 100 ms after the last keystroke and picks HTTP or WebSocket
  // from that parse, as a person pausing before clicking Run would see. Wait for it.
  await page.waitForFunction(() => {
    const cm = document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror;
    return cm?.documentAST?.loc?.source?.body === cm?.getValue();
  });
}

const resultText = () =>
  page.$eval('.graphiql-response .CodeMirror', (el) => el.CodeMirror.getValue()).catch(() => '');

async function waitForResult(predicate, what) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = await resultText();
    try {
      const value = JSON.parse(last);
      if (predicate(value)) return value;
    } catch { /* still loading or partial */ }
    await page.waitForTimeout(50);
  }
  throw new Error(`${what}: result pane shows ${JSON.stringify(last)}`);
}

async function trigger(body, upc) {
  const resp = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($body: String!, $upc: String!) { addReview(body: $body, upc: $upc) }',
      variables: { body, upc },
    }),
  });
  const json = await resp.json();
  if (json.errors) throw new Error(`addReview: ${JSON.stringify(json.errors)}`);
  return json.data.addReview; // how many subscribers received it
}

let failed = null;
try {
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');
  await page.waitForSelector('.graphiql-execute-button');
  step('page loaded from the router');

  // A first visit: the example operations explain signing in; the explorer plugin is there.
  const example = await page.$eval('.graphiql-query-editor .CodeMirror', (el) => el.CodeMirror.getValue());
  if (!example.includes('mutation SignIn') || !example.includes('Authorization')) {
    throw new Error(`default editor text ${JSON.stringify(example)}`);
  }
  await page.click('button[aria-label="Show GraphiQL Explorer"]');
  await page.waitForSelector('.graphiql-explorer-root, .docExplorerWrap');
  step('example operation and explorer plugin present');

  await typeOperation(QUERY);
  await page.click('.graphiql-execute-button');
  const result = await waitForResult((v) => v.data?.topProducts?.length > 0, 'query');
  const names = result.data.topProducts.map((p) => p.name).join(',');
  if (names !== 'Table,Couch' || result.data.topProducts[0].price !== 899) {
    throw new Error(`query result ${JSON.stringify(result)}`);
  }
  step(`query ran over HTTP: ${names}`);

  await typeOperation(SUBSCRIPTION);
  await page.click('.graphiql-execute-button');
  // The subscription reaches the subgraph asynchronously; trigger until someone is listening.
  const ready = Date.now() + timeout;
  while ((await trigger('warming up', '2')) === 0) {
    if (Date.now() > ready) throw new Error('the subscription never reached the subgraph');
    await page.waitForTimeout(50);
  }
  await waitForResult((v) => v.data?.reviewAdded?.body === 'warming up', 'first event');
  for (const [body, upc, name] of [['Love it!', '1', 'Table'], ['Too expensive.', '2', 'Couch']]) {
    await trigger(body, upc);
    await waitForResult(
      (v) => v.data?.reviewAdded?.body === body && v.data.reviewAdded.product?.name === name,
      `event ${body}`,
    );
    step(`subscription event arrived over WebSocket: ${body} / ${name}`);
  }
  if (problems.length) throw new Error(problems.join('\n'));
} catch (e) {
  failed = e;
  const shot = join(mkdtempSync(join(tmpdir(), 'router-graphiql-')), 'failure.png');
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  console.error(`graphiql: FAILED: ${e.stack || e}\nscreenshot: ${shot}`);
  if (problems.length) console.error(problems.join('\n'));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
