//! Page rasters in memory: reading Poppler's PGM output and grayscale JPEG scans, turning a
//! page by a multiple of 90°, and encoding a reduced PNG for the browser's page view. Pure
//! functions, no I/O.

/// An 8-bit grayscale page image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Horizontal resolution in dots per inch.
    pub dpi_x: u32,
    /// Vertical resolution in dots per inch.
    pub dpi_y: u32,
    /// Row-major pixels, one byte each, `width * height` long.
    pub pixels: Vec<u8>,
}

/// Why a PGM could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable PGM: {0}")]
pub struct PgmError(&'static str);

/// Why a JPEG scan could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable JPEG: {0}")]
pub struct JpegError(String);

impl Raster {
    /// Reads a binary PGM (`P5`, maxval 255) as written by `pdftoppm -gray` and `pdfimages`.
    pub fn from_pgm(bytes: &[u8], dpi_x: u32, dpi_y: u32) -> Result<Self, PgmError> {
        let mut cursor = 0;
        let mut fields = [0u64; 4];
        for field in &mut fields {
            *field = next_header_token(bytes, &mut cursor).ok_or(PgmError("truncated header"))?;
        }
        let [magic, width, height, maxval] = fields;
        if magic != u64::from(u16::from_be_bytes(*b"P5")) {
            return Err(PgmError("not a binary PGM"));
        }
        if maxval != 255 {
            return Err(PgmError("only 8-bit PGM is read"));
        }
        // Exactly one whitespace byte separates the header from the pixels.
        cursor += 1;
        let expected = width
            .checked_mul(height)
            .ok_or(PgmError("size overflows"))?;
        let pixels = bytes
            .get(cursor..)
            .filter(|rest| rest.len() as u64 >= expected)
            .ok_or(PgmError("truncated pixel data"))?;
        let width = u32::try_from(width).map_err(|_| PgmError("too wide"))?;
        let height = u32::try_from(height).map_err(|_| PgmError("too tall"))?;
        Ok(Self {
            width,
            height,
            dpi_x,
            dpi_y,
            pixels: pixels[..expected as usize].to_vec(),
        })
    }

    /// Decodes a grayscale JPEG (a scanner's page as stored in the PDF). Its size must be
    /// `expected` (width, height), which the caller has checked against its pixel limit: the
    /// decoder never allocates for a size the file claims on its own.
    pub fn from_jpeg(
        bytes: &[u8],
        expected: (u32, u32),
        dpi_x: u32,
        dpi_y: u32,
    ) -> Result<Self, JpegError> {
        use zune_jpeg::zune_core::{
            bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions,
        };
        let options = DecoderOptions::default()
            .set_max_width(expected.0 as usize)
            .set_max_height(expected.1 as usize)
            .jpeg_set_out_colorspace(ColorSpace::Luma);
        let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
        decoder
            .decode_headers()
            .map_err(|error| JpegError(error.to_string()))?;
        let info = decoder
            .info()
            .ok_or_else(|| JpegError("no frame header".to_owned()))?;
        let (width, height) = (u32::from(info.width), u32::from(info.height));
        let grayscale = decoder.input_colorspace() == Some(ColorSpace::Luma);
        if (width, height) != expected || !grayscale {
            return Err(JpegError(format!(
                "{width}x{height} {:?}, expected {}x{} grayscale",
                decoder.input_colorspace(),
                expected.0,
                expected.1
            )));
        }
        let pixels = decoder
            .decode()
            .map_err(|error| JpegError(error.to_string()))?;
        if pixels.len() as u64 != u64::from(width) * u64::from(height) {
            return Err(JpegError("decoded to an unexpected size".to_owned()));
        }
        Ok(Self {
            width,
            height,
            dpi_x,
            dpi_y,
            pixels,
        })
    }

    /// The mean brightness, 0 (black) to 255 (white).
    pub fn mean_brightness(&self) -> u8 {
        let sum: u64 = self.pixels.iter().map(|&pixel| u64::from(pixel)).sum();
        (sum / (self.pixels.len() as u64).max(1)) as u8
    }

    /// Encodes the raster as a binary PGM, which Tesseract reads without decompression.
    pub fn to_pgm(&self) -> Vec<u8> {
        let mut bytes = format!("P5\n{} {}\n255\n", self.width, self.height).into_bytes();
        bytes.extend_from_slice(&self.pixels);
        bytes
    }

    /// Returns the raster turned clockwise by `degrees` (0, 90, 180 or 270; others leave it).
    pub fn rotated_clockwise(&self, degrees: u16) -> Self {
        let (width, height) = (self.width as usize, self.height as usize);
        let source = &self.pixels;
        match degrees % 360 {
            180 => Self {
                pixels: source.iter().rev().copied().collect(),
                ..self.clone()
            },
            90 | 270 => {
                let clockwise = degrees % 360 == 90;
                let mut pixels = vec![0u8; source.len()];
                // The turned image is `height` wide and `width` tall.
                for (row, line) in source.chunks_exact(width).enumerate() {
                    for (column, &pixel) in line.iter().enumerate() {
                        let (new_row, new_column) = if clockwise {
                            (column, height - 1 - row)
                        } else {
                            (width - 1 - column, row)
                        };
                        pixels[new_row * height + new_column] = pixel;
                    }
                }
                Self {
                    width: self.height,
                    height: self.width,
                    dpi_x: self.dpi_y,
                    dpi_y: self.dpi_x,
                    pixels,
                }
            }
            _ => self.clone(),
        }
    }

    /// Shrinks the raster by an integer factor so it is at most `max_width` wide, averaging
    /// each block of pixels.
    pub fn reduced_to_width(&self, max_width: u32) -> Self {
        let factor = self.width.div_ceil(max_width.max(1)).max(1) as usize;
        if factor == 1 {
            return self.clone();
        }
        let (width, height) = (self.width as usize, self.height as usize);
        let (new_width, new_height) = (width / factor, height / factor);
        let mut sums = vec![0u32; new_width * new_height];
        for (row, line) in self
            .pixels
            .chunks_exact(width)
            .enumerate()
            .take(new_height * factor)
        {
            let target = &mut sums[(row / factor) * new_width..][..new_width];
            for (sum, block) in target.iter_mut().zip(line.chunks_exact(factor)) {
                *sum += block.iter().map(|&pixel| u32::from(pixel)).sum::<u32>();
            }
        }
        let area = (factor * factor) as u32;
        Self {
            width: new_width as u32,
            height: new_height as u32,
            dpi_x: self.dpi_x / factor as u32,
            dpi_y: self.dpi_y / factor as u32,
            pixels: sums.into_iter().map(|sum| (sum / area) as u8).collect(),
        }
    }

    /// Encodes the raster as a grayscale PNG with its resolution recorded.
    pub fn to_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let inch_to_metre = |dpi: u32| (f64::from(dpi) / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: inch_to_metre(self.dpi_x),
            yppu: inch_to_metre(self.dpi_y),
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()?;
        Ok(bytes)
    }
}

/// Reads the next decimal header number (or the `P5` magic as two bytes), skipping whitespace
/// and `#` comments.
fn next_header_token(bytes: &[u8], cursor: &mut usize) -> Option<u64> {
    loop {
        match bytes.get(*cursor)? {
            byte if byte.is_ascii_whitespace() => *cursor += 1,
            b'#' => {
                while *bytes.get(*cursor)? != b'\n' {
                    *cursor += 1;
                }
            }
            _ => break,
        }
    }
    if bytes.get(*cursor..*cursor + 2)? == b"P5" {
        *cursor += 2;
        return Some(u64::from(u16::from_be_bytes(*b"P5")));
    }
    let start = *cursor;
    while bytes.get(*cursor).is_some_and(u8::is_ascii_digit) {
        *cursor += 1;
    }
    std::str::from_utf8(&bytes[start..*cursor])
        .ok()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 raster with pixels 1..=6 row by row.
    fn small() -> Raster {
        Raster {
            width: 3,
            height: 2,
            dpi_x: 200,
            dpi_y: 100,
            pixels: vec![1, 2, 3, 4, 5, 6],
        }
    }

    #[test]
    fn pgm_round_trips_and_skips_comments() {
        let raster = small();
        assert_eq!(
            Raster::from_pgm(&raster.to_pgm(), 200, 100).unwrap(),
            raster
        );
        let commented = b"P5\n# made by hand\n3 2\n255\n\x01\x02\x03\x04\x05\x06";
        assert_eq!(Raster::from_pgm(commented, 200, 100).unwrap(), raster);
    }

    #[test]
    fn bad_pgm_is_an_error() {
        assert!(Raster::from_pgm(b"P6\n3 2\n255\n......", 1, 1).is_err());
        assert!(Raster::from_pgm(b"P5\n3 2\n255\n\x01", 1, 1).is_err());
        assert!(Raster::from_pgm(b"P5\n3", 1, 1).is_err());
        assert!(Raster::from_pgm(b"P5\n3 2\n65535\n", 1, 1).is_err());
    }

    #[test]
    fn rotations_move_pixels_where_expected() {
        let raster = small();
        // 1 2 3      clockwise:  4 1     counter-clockwise: 3 6
        // 4 5 6                  5 2                        2 5
        //                        6 3                        1 4
        let clockwise = raster.rotated_clockwise(90);
        assert_eq!((clockwise.width, clockwise.height), (2, 3));
        assert_eq!(clockwise.pixels, vec![4, 1, 5, 2, 6, 3]);
        assert_eq!((clockwise.dpi_x, clockwise.dpi_y), (100, 200));
        assert_eq!(raster.rotated_clockwise(270).pixels, vec![3, 6, 2, 5, 1, 4]);
        assert_eq!(raster.rotated_clockwise(180).pixels, vec![6, 5, 4, 3, 2, 1]);
        assert_eq!(raster.rotated_clockwise(0), raster);
        assert_eq!(clockwise.rotated_clockwise(270), raster);
    }

    #[test]
    fn reduction_averages_blocks() {
        let raster = Raster {
            width: 4,
            height: 2,
            dpi_x: 300,
            dpi_y: 300,
            pixels: vec![0, 255, 10, 20, 255, 0, 30, 40],
        };
        let reduced = raster.reduced_to_width(2);
        assert_eq!((reduced.width, reduced.height), (2, 1));
        assert_eq!(reduced.pixels, vec![127, 25]);
        assert_eq!(reduced.dpi_x, 150);
        assert_eq!(raster.reduced_to_width(10), raster);
    }

    #[test]
    fn png_has_signature_and_size() {
        let png = small().to_png().unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IHDR width and height follow the 8-byte signature, 4-byte length and 4-byte type.
        assert_eq!(&png[16..24], &[0, 0, 0, 3, 0, 0, 0, 2]);
    }
}
