//! Decoding under limits and thumbnailing. The decoder is told the largest width, height and
//! allocation it may accept, so a decompression bomb (a tiny file declaring a gigantic image)
//! is refused from its header instead of exhausting memory. An EXIF orientation is applied.
//! Thumbnails are JPEG (small and universally supported), scaled to a fixed width with the
//! aspect ratio kept, never upscaled.

use std::io::Cursor;

use bytes::Bytes;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

use crate::sniff::ImageKind;
use crate::store::key_for;

/// Thumbnail widths: `SMALL` for lists, `MEDIUM` for product cards.
pub const SMALL_WIDTH: u32 = 160;
pub const MEDIUM_WIDTH: u32 = 480;
const THUMBNAIL_QUALITY: u8 = 82;

/// Why an upload's bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a JPEG, PNG, WebP or GIF (415).
    Unsupported,
    /// Claims a format but does not decode: truncated or corrupt (400).
    Invalid,
    /// Declares more pixels or needs more memory than allowed (400).
    TooLarge { max_dimension: u32 },
}

/// One stored rendition: its key, bytes and size.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub key: String,
    pub bytes: Bytes,
    pub width: u32,
    pub height: u32,
}

/// A decoded upload: the original as sent plus its thumbnails.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: ImageKind,
    pub original: Rendition,
    pub small: Rendition,
    pub medium: Rendition,
}

/// Decoding limits.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    pub max_dimension: u32,
    pub max_alloc: u64,
}

/// Sniffs, decodes under `limits` and renders the thumbnails. CPU-bound: call it from a
/// blocking task.
pub fn process(bytes: Bytes, limits: DecodeLimits) -> Result<Processed, Refusal> {
    let kind = ImageKind::sniff(&bytes).ok_or(Refusal::Unsupported)?;
    let image = decode(&bytes, kind, limits)?;
    let original = Rendition {
        key: key_for(&bytes, kind.extension()),
        width: image.width(),
        height: image.height(),
        bytes,
    };
    Ok(Processed {
        kind,
        small: thumbnail(&image, SMALL_WIDTH),
        medium: thumbnail(&image, MEDIUM_WIDTH),
        original,
    })
}

fn decode(bytes: &[u8], kind: ImageKind, limits: DecodeLimits) -> Result<DynamicImage, Refusal> {
    let refuse = |err: image::ImageError| match err {
        image::ImageError::Limits(_) => Refusal::TooLarge {
            max_dimension: limits.max_dimension,
        },
        _ => Refusal::Invalid,
    };
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(limits.max_dimension);
    decode_limits.max_image_height = Some(limits.max_dimension);
    decode_limits.max_alloc = Some(limits.max_alloc);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    reader.limits(decode_limits.clone());
    // The header alone says how big the image is: refuse before allocating for it (as
    // `ImageReader::decode` does), then decode with what is left of the budget.
    let mut decoder = reader.into_decoder().map_err(refuse)?;
    decode_limits
        .reserve(decoder.total_bytes())
        .map_err(refuse)?;
    decoder.set_limits(decode_limits).map_err(refuse)?;
    // Phone photos are often stored sideways with an EXIF orientation; the original is served
    // as sent (browsers honour the tag), so dimensions and thumbnails follow the tag too.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(refuse)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Renders `image` `width` pixels wide (or its own width when narrower) as JPEG.
pub fn thumbnail(image: &DynamicImage, width: u32) -> Rendition {
    let width = width.min(image.width()).max(1);
    let height = ((u64::from(image.height()) * u64::from(width) + u64::from(image.width()) / 2)
        / u64::from(image.width()))
    .max(1) as u32;
    let scaled = image.resize_exact(width, height, FilterType::Triangle);
    let rgb = flatten(&scaled);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, THUMBNAIL_QUALITY)
        .encode_image(&rgb)
        .expect("encoding an RGB image into memory cannot fail");
    Rendition {
        key: key_for(&out, "jpg"),
        bytes: Bytes::from(out),
        width,
        height,
    }
}

/// JPEG has no alpha: transparent pixels are composed over white rather than turning black.
fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DecodeLimits = DecodeLimits {
        max_dimension: 4096,
        max_alloc: 64 * 1024 * 1024,
    };

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(width, height, image::Rgba([10, 200, 30, 128]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn thumbnails_keep_the_aspect_and_never_upscale() {
        let done = process(Bytes::from(png(960, 640)), LIMITS).unwrap();
        assert_eq!(done.kind, ImageKind::Png);
        assert_eq!((done.original.width, done.original.height), (960, 640));
        assert_eq!((done.small.width, done.small.height), (160, 107));
        assert_eq!((done.medium.width, done.medium.height), (480, 320));
        let small = image::load_from_memory(&done.small.bytes).unwrap();
        assert_eq!((small.width(), small.height()), (160, 107));

        let tiny = process(Bytes::from(png(100, 50)), LIMITS).unwrap();
        assert_eq!((tiny.medium.width, tiny.medium.height), (100, 50));
    }

    #[test]
    fn an_exif_orientation_is_applied() {
        use image::ImageEncoder;
        // A minimal big-endian EXIF (TIFF) block: one IFD entry, Orientation = 6 (rotate 90°).
        let mut exif = b"MM\0\x2a\0\0\0\x08\0\x01".to_vec();
        exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]);
        let pixels = image::RgbImage::from_pixel(300, 200, image::Rgb([200, 40, 40]));
        let mut jpeg = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut jpeg, 90);
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(pixels.as_raw(), 300, 200, image::ExtendedColorType::Rgb8)
            .unwrap();
        let done = process(Bytes::from(jpeg), LIMITS).unwrap();
        assert_eq!((done.original.width, done.original.height), (200, 300));
        assert_eq!((done.small.width, done.small.height), (160, 240));
    }

    #[test]
    fn refuses_truncated_and_oversized_images() {
        let mut cut = png(300, 300);
        cut.truncate(cut.len() / 2);
        assert_eq!(
            process(Bytes::from(cut), LIMITS).unwrap_err(),
            Refusal::Invalid
        );
        let big = png(4097, 2);
        assert!(matches!(
            process(Bytes::from(big), LIMITS).unwrap_err(),
            Refusal::TooLarge { .. }
        ));
        assert_eq!(
            process(Bytes::from_static(b"<svg/>"), LIMITS).unwrap_err(),
            Refusal::Unsupported
        );
    }
}
