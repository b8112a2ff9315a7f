//! Optical character recognition behind a small trait, with Tesseract 5 run as a child process
//! (`OMP_THREAD_LIMIT=1`, a per-page time limit, an address-space limit) as the implementation.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::DocumentError;
use super::process::{ToolLimits, args, run_tool, run_tool_checked};
use super::raster::Raster;
pub use super::tsv::{PageOcr, Rotation, parse_osd, parse_tsv};
pub use switchboard_core::document::{PageText, TextSource};

/// Resolutions passed on to Tesseract; others are left for it to estimate.
const PLAUSIBLE_DPI: std::ops::RangeInclusive<u32> = 100..=1200;

/// Recognises text on page images. Implementations are synchronous and thread-safe; callers
/// run them on blocking worker threads.
pub trait OcrEngine: Send + Sync {
    /// Recognises the text of one page (numbered from 1, for messages).
    fn recognise(&self, image: &Raster, page: u32) -> Result<PageOcr, DocumentError>;

    /// Detects how far the page must be turned clockwise to read upright; `None` when the page
    /// has too little text to tell.
    fn detect_rotation(&self, image: &Raster, page: u32)
    -> Result<Option<Rotation>, DocumentError>;
}

/// How Tesseract is run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OcrConfig {
    /// The program name or path.
    pub program: String,
    /// Languages in Tesseract's `a+b` form, most likely first.
    pub languages: String,
    /// Page segmentation mode; 3 (fully automatic, no OSD) suits letters and faxes.
    pub page_segmentation: u8,
    /// The folder holding `*.traineddata`, when not Tesseract's default.
    pub tessdata_dir: Option<PathBuf>,
    /// Time limit for one page (time Tesseract ran, not time it waited for a CPU).
    pub page_timeout: Duration,
    /// Address-space limit of the Tesseract process, in bytes.
    pub memory_limit_bytes: Option<u64>,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            program: "tesseract".to_owned(),
            languages: "nld+eng+deu+fra".to_owned(),
            page_segmentation: 3,
            tessdata_dir: None,
            page_timeout: Duration::from_secs(60),
            memory_limit_bytes: Some(2 * 1024 * 1024 * 1024),
        }
    }
}

/// Tesseract 5 through its command-line program.
#[derive(Debug, Clone)]
pub struct TesseractCli {
    config: OcrConfig,
}

impl TesseractCli {
    /// Builds the engine; nothing runs until the first page.
    pub fn new(config: OcrConfig) -> Self {
        Self { config }
    }

    /// Returns the configuration.
    pub fn config(&self) -> &OcrConfig {
        &self.config
    }

    /// Checks that the program runs and has every configured language and the OSD data, naming
    /// what is missing.
    pub fn probe(&self) -> Result<(), DocumentError> {
        let dir = tempfile::tempdir()?;
        let mut list_args = self.common_args();
        list_args.push("--list-langs".into());
        let output = run_tool_checked(
            &self.config.program,
            &list_args,
            dir.path(),
            self.limits(),
            None,
        )?;
        let listing = String::from_utf8_lossy(&output.stdout);
        let installed: Vec<&str> = listing.lines().map(str::trim).collect();
        let wanted = self.config.languages.split('+').chain(["osd"]);
        for language in wanted {
            if !installed.contains(&language) {
                return Err(DocumentError::OcrUnavailable {
                    program: format!("{} language data {language}", self.config.program),
                });
            }
        }
        Ok(())
    }

    fn limits(&self) -> ToolLimits {
        ToolLimits {
            time: self.config.page_timeout,
            memory_bytes: self.config.memory_limit_bytes,
        }
    }

    fn common_args(&self) -> Vec<OsString> {
        match &self.config.tessdata_dir {
            Some(dir) => vec!["--tessdata-dir".into(), dir.clone().into()],
            None => Vec::new(),
        }
    }

    /// Writes the page as PGM into a private folder and runs Tesseract on it with `mode_args`.
    fn run_on_page(
        &self,
        image: &Raster,
        page: u32,
        mode_args: &[&str],
    ) -> Result<super::process::ToolOutput, DocumentError> {
        let dir = tempfile::Builder::new()
            .prefix("switchboard-ocr-")
            .tempdir()?;
        let input = dir.path().join("page.pgm");
        std::fs::write(&input, image.to_pgm())?;
        let mut tool_args = args([input.into_os_string(), "-".into()]);
        tool_args.extend(self.common_args());
        // An implausible resolution (72 dpi from a careless converter) is left for Tesseract to
        // estimate from the text size.
        if PLAUSIBLE_DPI.contains(&image.dpi_x) {
            tool_args.extend(args(["--dpi".to_owned(), image.dpi_x.to_string()]));
        }
        tool_args.extend(args(mode_args));
        run_tool(
            &self.config.program,
            &tool_args,
            dir.path(),
            self.limits(),
            Some(page),
        )
    }
}

impl OcrEngine for TesseractCli {
    fn recognise(&self, image: &Raster, page: u32) -> Result<PageOcr, DocumentError> {
        let segmentation = self.config.page_segmentation.to_string();
        let mode = [
            "-l",
            self.config.languages.as_str(),
            "--psm",
            segmentation.as_str(),
            "tsv",
        ];
        let output = self.run_on_page(image, page, &mode)?;
        if !output.status.success() {
            return Err(DocumentError::ToolFailed {
                program: self.config.program.clone(),
                page: Some(page),
                detail: output.stderr_summary(),
            });
        }
        Ok(parse_tsv(&String::from_utf8_lossy(&output.stdout)))
    }

    fn detect_rotation(
        &self,
        image: &Raster,
        page: u32,
    ) -> Result<Option<Rotation>, DocumentError> {
        let output = self.run_on_page(image, page, &["--psm", "0"])?;
        // Too little text makes Tesseract give up with an error; that means "cannot tell".
        let report = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() && output.stderr.contains("osd.traineddata") {
            return Err(DocumentError::OcrUnavailable {
                program: format!("{} language data osd", self.config.program),
            });
        }
        Ok(parse_osd(&report))
    }
}
