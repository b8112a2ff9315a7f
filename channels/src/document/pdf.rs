//! PDF inspection, text-layer extraction and rasterisation through Poppler's command-line tools
//! (`pdfinfo`, `pdfimages`, `pdftotext`, `pdftoppm`), each run with a time and memory limit.
//!
//! Inspection comes first and refuses what would be expensive or dangerous to render: password
//! protection, damage beyond repair, zero pages, more pages than the limit, and pages or
//! embedded images whose pixel count exceeds the limit (page and decompression bombs).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tempfile::TempDir;

use super::config::DocumentConfig;
use super::error::DocumentError;
use super::process::{ToolLimits, args, run_tool, run_tool_checked};
use super::raster::Raster;
use super::scan::page_raster;

/// Embedded images with a resolution outside this range are not taken as the page's own.
const NATIVE_DPI_RANGE: std::ops::RangeInclusive<u32> = 50..=1200;
/// Points per inch.
const POINTS_PER_INCH: f64 = 72.0;

/// What inspection learned about a PDF.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PdfInfo {
    /// The page count.
    pub pages: u32,
    /// Whether the file is encrypted (readable without password, or it would have failed).
    pub encrypted: bool,
    /// Poppler reported syntax errors it worked around (truncated or damaged file).
    pub damaged: bool,
    /// Page sizes in points, width then height, for the pages within the page limit.
    pub page_sizes: Vec<(f64, f64)>,
    /// Page rotations in degrees clockwise (`/Rotate`), for the pages within the page limit.
    pub page_rotations: Vec<u16>,
    /// Images drawn on those pages.
    pub images: Vec<PdfImage>,
    /// The resolution each page is rasterised at, horizontal then vertical.
    pub render_dpi: Vec<(u32, u32)>,
}

/// An image drawn on a page (or a mask), as `pdfimages -list` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfImage {
    /// The page, from 1.
    pub page: u32,
    /// What is drawn: `image`, or a mask (`mask`, `smask`, `stencil`).
    pub kind: String,
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
    /// The colour space (`gray`, `rgb`, `cmyk`, `index`, ...).
    pub color: String,
    /// Colour components per pixel.
    pub components: u32,
    /// Bits per component.
    pub bits: u32,
    /// The stream encoding (`ccitt`, `jpeg`, `image`, ...).
    pub encoding: String,
    /// Horizontal resolution on the page.
    pub x_ppi: u32,
    /// Vertical resolution on the page.
    pub y_ppi: u32,
}

/// A PDF written to a private temporary folder for the tools to read.
#[derive(Debug)]
pub struct PdfFile {
    dir: TempDir,
    path: PathBuf,
}

impl PdfFile {
    /// Writes `bytes` to a new temporary folder.
    pub fn new(bytes: &[u8]) -> Result<Self, DocumentError> {
        let dir = tempfile::Builder::new()
            .prefix("switchboard-doc-")
            .tempdir()?;
        let path = dir.path().join("input.pdf");
        std::fs::write(&path, bytes)?;
        Ok(Self { dir, path })
    }

    /// Converts TIFF bytes (single or multi-page, including G3/G4 fax) to a PDF with `tiff2pdf`,
    /// which keeps CCITT data as it is.
    pub fn from_tiff(bytes: &[u8], config: &DocumentConfig) -> Result<Self, DocumentError> {
        let dir = tempfile::Builder::new()
            .prefix("switchboard-doc-")
            .tempdir()?;
        let tiff = dir.path().join("input.tif");
        std::fs::write(&tiff, bytes)?;
        let path = dir.path().join("input.pdf");
        let output = run_tool(
            "tiff2pdf",
            &args([OsString::from("-o"), path.clone().into(), tiff.into()]),
            dir.path(),
            inspect_limits(config),
            None,
        )?;
        if !output.status.success() || !path.is_file() {
            return Err(DocumentError::Corrupt {
                detail: format!("tiff2pdf: {}", output.stderr_summary()),
            });
        }
        Ok(Self { dir, path })
    }

    /// The folder holding the file, for the tools' own output.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The PDF file itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Inspects the file and applies the page and pixel limits.
    pub fn inspect(&self, config: &DocumentConfig) -> Result<PdfInfo, DocumentError> {
        let range = page_range(1, config.max_pages);
        let mut info_args = range.clone();
        info_args.push(self.path.clone().into());
        let output = run_tool(
            "pdfinfo",
            &info_args,
            self.dir(),
            inspect_limits(config),
            None,
        )?;
        if !output.status.success() {
            return Err(classify_pdfinfo_failure(&output.stderr));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut info = parse_pdfinfo(&stdout).ok_or_else(|| DocumentError::Corrupt {
            detail: "pdfinfo printed no page count".to_owned(),
        })?;
        info.damaged = output.stderr.contains("Syntax Error");
        if info.pages == 0 {
            return Err(DocumentError::NoPages);
        }
        if info.pages > config.max_pages {
            return Err(DocumentError::TooManyPages {
                pages: info.pages,
                limit: config.max_pages,
            });
        }
        let mut list_args = args(["-list"]);
        list_args.extend(range);
        list_args.push(self.path.clone().into());
        let listing = run_tool_checked(
            "pdfimages",
            &list_args,
            self.dir(),
            inspect_limits(config),
            None,
        )?;
        info.images = parse_pdfimages_list(&String::from_utf8_lossy(&listing.stdout));
        check_image_pixels(&info.images, config.max_page_pixels)?;
        info.render_dpi = (1..=info.pages)
            .map(|page| render_dpi(&info.images, page, config.default_dpi))
            .collect();
        check_page_pixels(&info, config.max_page_pixels)?;
        Ok(info)
    }

    /// Extracts the text layer, one string per page (empty for pages without text).
    pub fn text_layer(
        &self,
        pages: u32,
        config: &DocumentConfig,
    ) -> Result<Vec<String>, DocumentError> {
        let mut text_args = args(["-enc", "UTF-8"]);
        text_args.extend(page_range(1, pages));
        text_args.push(self.path.clone().into());
        text_args.push("-".into());
        let limits = ToolLimits {
            time: config.page_timeout,
            memory_bytes: config.memory_limit_bytes,
        };
        let output = run_tool_checked("pdftotext", &text_args, self.dir(), limits, None)?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut per_page: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
        per_page.resize(pages as usize, String::new());
        Ok(per_page)
    }

    /// Renders one page as 8-bit grayscale at the given resolution.
    pub fn rasterise(
        &self,
        page: u32,
        dpi: (u32, u32),
        config: &DocumentConfig,
    ) -> Result<Raster, DocumentError> {
        let prefix = self.dir().join(format!("page-{page}"));
        let mut render_args = args(["-gray", "-singlefile"]);
        render_args.extend(args([
            "-rx".to_owned(),
            dpi.0.to_string(),
            "-ry".to_owned(),
            dpi.1.to_string(),
        ]));
        render_args.extend(page_range(page, page));
        render_args.push(self.path.clone().into());
        render_args.push(prefix.clone().into());
        let limits = ToolLimits {
            time: config.page_timeout,
            memory_bytes: config.memory_limit_bytes,
        };
        run_tool_checked("pdftoppm", &render_args, self.dir(), limits, Some(page))?;
        let pgm_path = prefix.with_extension("pgm");
        let pgm = std::fs::read(&pgm_path)?;
        std::fs::remove_file(&pgm_path)?;
        Raster::from_pgm(&pgm, dpi.0, dpi.1).map_err(|error| DocumentError::ToolFailed {
            program: "pdftoppm".to_owned(),
            page: Some(page),
            detail: error.to_string(),
        })
    }
}

/// Inspects a PDF given as bytes; see [`PdfFile::inspect`].
pub fn inspect(bytes: &[u8], config: &DocumentConfig) -> Result<PdfInfo, DocumentError> {
    PdfFile::new(bytes)?.inspect(config)
}

/// Extracts the text layer of a PDF given as bytes, one string per page.
pub fn extract_text_layer(
    bytes: &[u8],
    config: &DocumentConfig,
) -> Result<Vec<String>, DocumentError> {
    let file = PdfFile::new(bytes)?;
    let info = file.inspect(config)?;
    file.text_layer(info.pages, config)
}

/// Returns one page (from 1) of a PDF given as bytes as OCR reads it: at the page's own or the
/// default resolution, its scanned image taken out or the page rendered (see [`page_raster`]).
pub fn rasterise(
    bytes: &[u8],
    page: u32,
    config: &DocumentConfig,
) -> Result<Raster, DocumentError> {
    let file = PdfFile::new(bytes)?;
    let info = file.inspect(config)?;
    if !(1..=info.pages).contains(&page) {
        return Err(DocumentError::TooManyPages {
            pages: page,
            limit: info.pages,
        });
    }
    page_raster(&file, &info, page, config)
}

fn inspect_limits(config: &DocumentConfig) -> ToolLimits {
    ToolLimits {
        time: config.inspect_timeout,
        memory_bytes: config.memory_limit_bytes,
    }
}

fn page_range(first: u32, last: u32) -> Vec<OsString> {
    args([
        "-f".to_owned(),
        first.to_string(),
        "-l".to_owned(),
        last.to_string(),
    ])
}

/// Turns pdfinfo's complaint into the matching error.
fn classify_pdfinfo_failure(stderr: &str) -> DocumentError {
    if stderr.contains("Incorrect password") {
        return DocumentError::Encrypted;
    }
    if stderr.contains("Invalid page count 0") || stderr.contains("last page (0)") {
        return DocumentError::NoPages;
    }
    let detail = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| line.contains("Error"))
        .unwrap_or("pdfinfo could not read the file")
        .to_owned();
    DocumentError::Corrupt { detail }
}

/// Reads the page count, encryption flag and page sizes from `pdfinfo -f 1 -l N` output.
pub fn parse_pdfinfo(stdout: &str) -> Option<PdfInfo> {
    let mut pages = None;
    let mut encrypted = false;
    let mut page_sizes = Vec::new();
    let mut page_rotations = Vec::new();
    for line in stdout.lines() {
        if let Some(count) = line.strip_prefix("Pages:") {
            pages = count.trim().parse().ok();
        } else if let Some(flag) = line.strip_prefix("Encrypted:") {
            encrypted = flag.trim_start().starts_with("yes");
        } else if let Some(size) = line
            .strip_prefix("Page")
            .and_then(|rest| rest.split_once("size:"))
        {
            let mut numbers = size
                .1
                .split_whitespace()
                .filter_map(|word| word.parse::<f64>().ok());
            if let (Some(width), Some(height)) = (numbers.next(), numbers.next()) {
                page_sizes.push((width, height));
            }
        } else if let Some(rotation) = line
            .strip_prefix("Page")
            .and_then(|rest| rest.split_once("rot:"))
        {
            page_rotations.push(rotation.1.trim().parse::<u16>().map_or(0, |rot| rot % 360));
        } else if let Some(size) = line.strip_prefix("Page size:") {
            // Without a page range pdfinfo prints only the first page's size.
            let mut numbers = size
                .split_whitespace()
                .filter_map(|word| word.parse::<f64>().ok());
            if let (Some(width), Some(height), true) =
                (numbers.next(), numbers.next(), page_sizes.is_empty())
            {
                page_sizes.push((width, height));
            }
        }
    }
    Some(PdfInfo {
        pages: pages?,
        encrypted,
        damaged: false,
        page_sizes,
        page_rotations,
        images: Vec::new(),
        render_dpi: Vec::new(),
    })
}

/// Reads the rows of `pdfimages -list` output.
pub fn parse_pdfimages_list(stdout: &str) -> Vec<PdfImage> {
    stdout
        .lines()
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
            if columns.len() < 14 {
                return None;
            }
            Some(PdfImage {
                page: columns[0].parse().ok()?,
                kind: columns[2].to_owned(),
                width: columns[3].parse().ok()?,
                height: columns[4].parse().ok()?,
                color: columns[5].to_owned(),
                components: columns[6].parse().ok()?,
                bits: columns[7].parse().ok()?,
                encoding: columns[8].to_owned(),
                x_ppi: columns[12].parse().ok()?,
                y_ppi: columns[13].parse().ok()?,
            })
        })
        .collect()
}

/// Picks a page's resolution: that of its only image (a scan or fax, rendered pixel for pixel),
/// else the default.
pub fn render_dpi(images: &[PdfImage], page: u32, default_dpi: u32) -> (u32, u32) {
    let mut on_page = images
        .iter()
        .filter(|image| image.page == page && image.kind == "image");
    match (on_page.next(), on_page.next()) {
        (Some(image), None)
            if NATIVE_DPI_RANGE.contains(&image.x_ppi)
                && NATIVE_DPI_RANGE.contains(&image.y_ppi) =>
        {
            (image.x_ppi, image.y_ppi)
        }
        _ => (default_dpi, default_dpi),
    }
}

fn check_image_pixels(images: &[PdfImage], limit: u64) -> Result<(), DocumentError> {
    match images
        .iter()
        .find(|image| image.width.saturating_mul(image.height) > limit)
    {
        Some(image) => Err(DocumentError::PageTooLarge {
            page: image.page,
            width: image.width,
            height: image.height,
            limit,
        }),
        None => Ok(()),
    }
}

fn check_page_pixels(info: &PdfInfo, limit: u64) -> Result<(), DocumentError> {
    for (index, (&(width_pt, height_pt), &(dpi_x, dpi_y))) in
        info.page_sizes.iter().zip(&info.render_dpi).enumerate()
    {
        let width = (width_pt / POINTS_PER_INCH * f64::from(dpi_x))
            .ceil()
            .max(0.0) as u64;
        let height = (height_pt / POINTS_PER_INCH * f64::from(dpi_y))
            .ceil()
            .max(0.0) as u64;
        if width.saturating_mul(height) > limit {
            return Err(DocumentError::PageTooLarge {
                page: index as u32 + 1,
                width,
                height,
                limit,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDFINFO: &str = "Creator:         FaxServer\nPages:           2\nEncrypted:       no\n\
        Page    1 size:  609.882 x 841.959 pts\nPage    1 rot:   0\n\
        Page    2 size:  595.2 x 841.92 pts (A4)\nPage    2 rot:   0\nFile size:       27911 bytes\n";

    const LISTING: &str = "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n\
        --------------------------------------------------------------------------------------------\n\
           1     0 image    1728  2292  gray    1   1  ccitt  no         6  0   204   196 9406B 1.9%\n\
           2     1 image    2480  3508  gray    1   8  jpeg   no         9  0   300   300  184K 2.2%\n\
           2     2 smask    2480  3508  gray    1   8  image  no        10  0   300   300  184K 2.2%\n";

    #[test]
    fn pdfinfo_output_gives_pages_and_sizes() {
        let info = parse_pdfinfo(PDFINFO).unwrap();
        assert_eq!(info.pages, 2);
        assert!(!info.encrypted);
        assert_eq!(info.page_sizes, vec![(609.882, 841.959), (595.2, 841.92)]);
        assert_eq!(info.page_rotations, vec![0, 0]);
        let encrypted =
            parse_pdfinfo("Pages: 1\nEncrypted:       yes (print:yes)\nPage size: 10 x 20 pts\n")
                .unwrap();
        assert!(encrypted.encrypted);
        assert_eq!(encrypted.page_sizes, vec![(10.0, 20.0)]);
        assert!(parse_pdfinfo("Producer: x\n").is_none());
    }

    #[test]
    fn image_listing_gives_native_resolution() {
        let images = parse_pdfimages_list(LISTING);
        assert_eq!(images.len(), 3);
        assert_eq!(images[0].encoding, "ccitt");
        assert_eq!(
            (images[1].color.as_str(), images[1].components),
            ("gray", 1)
        );
        assert_eq!(images[2].kind, "smask");
        assert_eq!(render_dpi(&images, 1, 300), (204, 196));
        assert_eq!(render_dpi(&images, 2, 150), (300, 300));
        assert_eq!(render_dpi(&images, 3, 300), (300, 300));
    }

    #[test]
    fn oversized_pages_and_images_are_refused() {
        let mut info = parse_pdfinfo("Pages: 1\nPage    1 size:  100000 x 100000 pts\n").unwrap();
        info.render_dpi = vec![(300, 300)];
        let error = check_page_pixels(&info, 50_000_000).unwrap_err();
        assert!(matches!(error, DocumentError::PageTooLarge { page: 1, .. }));
        let mut images = parse_pdfimages_list(LISTING);
        images[0].width = 100_000;
        assert!(check_image_pixels(&images, 50_000_000).is_err());
        assert!(check_image_pixels(&parse_pdfimages_list(LISTING), 50_000_000).is_ok());
    }

    #[test]
    fn pdfinfo_failures_are_classified() {
        assert!(matches!(
            classify_pdfinfo_failure("Command Line Error: Incorrect password\n"),
            DocumentError::Encrypted
        ));
        assert!(matches!(
            classify_pdfinfo_failure("Syntax Error: Invalid page count 0\n"),
            DocumentError::NoPages
        ));
        let corrupt = classify_pdfinfo_failure("Syntax Error: Couldn't read xref table\n");
        assert!(corrupt.to_string().contains("xref"));
    }
}
