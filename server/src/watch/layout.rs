//! The folders of one watched folder: where files arrive (the folder itself, or `new/` of a
//! maildir for e-mail), `processed/` for inputs landed, and `failed/` for unreadable inputs,
//! each with a `.reason` file beside it.

use std::path::{Path, PathBuf};

use switchboard_core::item::Channel;

/// The sub-folder of inputs landed.
pub const PROCESSED: &str = "processed";
/// The sub-folder of unreadable inputs.
pub const FAILED: &str = "failed";
/// The extension of the file that says why an input failed.
pub const REASON_EXTENSION: &str = "reason";

/// The paths of one watched folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderLayout {
    /// Where new files are picked up.
    pub inbox: PathBuf,
    /// Where landed inputs go.
    pub processed: PathBuf,
    /// Where unreadable inputs go.
    pub failed: PathBuf,
    /// Maildir's `tmp/`, where e-mail is written before it is moved to `new/`.
    pub maildir_tmp: Option<PathBuf>,
}

impl FolderLayout {
    /// The layout of `root` for a channel: e-mail follows the maildir convention (writers put a
    /// message in `tmp/` and rename it into `new/`); other channels take files from the root.
    pub fn of(root: &Path, channel: Channel) -> Self {
        let (inbox, maildir_tmp) = match channel {
            Channel::Email => (root.join("new"), Some(root.join("tmp"))),
            _ => (root.to_path_buf(), None),
        };
        Self {
            inbox,
            processed: root.join(PROCESSED),
            failed: root.join(FAILED),
            maildir_tmp,
        }
    }

    /// Creates the folders that are missing.
    pub fn create(&self) -> std::io::Result<()> {
        let folders = [&self.inbox, &self.processed, &self.failed];
        for folder in folders.into_iter().chain(self.maildir_tmp.as_ref()) {
            std::fs::create_dir_all(folder)?;
        }
        Ok(())
    }

    /// Moves a landed input to `processed/`; returns its new path.
    pub fn move_processed(&self, file: &Path) -> std::io::Result<PathBuf> {
        move_into(file, &self.processed)
    }

    /// Moves an unreadable input to `failed/` and writes why beside it; returns its new path.
    pub fn move_failed(&self, file: &Path, reason: &str) -> std::io::Result<PathBuf> {
        let target = move_into(file, &self.failed)?;
        let mut reason_file = target.clone().into_os_string();
        reason_file.push(".");
        reason_file.push(REASON_EXTENSION);
        std::fs::write(PathBuf::from(reason_file), format!("{reason}\n"))?;
        Ok(target)
    }
}

/// Tells whether a directory entry is an input: a regular file whose name does not start with a
/// dot (editors' and copy tools' temporary files do).
pub fn is_input(path: &Path, file_type: std::fs::FileType) -> bool {
    let hidden = path
        .file_name()
        .is_none_or(|name| name.to_string_lossy().starts_with('.'));
    file_type.is_file() && !hidden
}

/// Renames `file` into `folder`, keeping its name unless one is taken there (then `name-2.ext`,
/// `name-3.ext`, ...), so an earlier input of the same name is never overwritten.
fn move_into(file: &Path, folder: &Path) -> std::io::Result<PathBuf> {
    let name = file
        .file_name()
        .ok_or_else(|| std::io::Error::other("input has no file name"))?;
    let mut target = folder.join(name);
    let stem = Path::new(name)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = Path::new(name)
        .extension()
        .map(|extension| format!(".{}", extension.to_string_lossy()))
        .unwrap_or_default();
    let mut counter = 1;
    while target.exists() {
        counter += 1;
        target = folder.join(format!("{stem}-{counter}{extension}"));
    }
    std::fs::rename(file, &target)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_uses_the_maildir_new_folder() {
        let layout = FolderLayout::of(Path::new("/srv/mail"), Channel::Email);
        assert_eq!(layout.inbox, Path::new("/srv/mail/new"));
        assert_eq!(
            layout.maildir_tmp.as_deref(),
            Some(Path::new("/srv/mail/tmp"))
        );
        let fax = FolderLayout::of(Path::new("/srv/fax"), Channel::Fax);
        assert_eq!(fax.inbox, Path::new("/srv/fax"));
        assert_eq!(fax.processed, Path::new("/srv/fax/processed"));
    }

    #[test]
    fn moved_files_never_overwrite_earlier_ones() {
        let root = tempfile::tempdir().unwrap();
        let layout = FolderLayout::of(root.path(), Channel::Letter);
        layout.create().unwrap();
        for content in ["first", "second"] {
            let file = root.path().join("scan.pdf");
            std::fs::write(&file, content).unwrap();
            layout.move_processed(&file).unwrap();
        }
        let first = std::fs::read_to_string(layout.processed.join("scan.pdf")).unwrap();
        let second = std::fs::read_to_string(layout.processed.join("scan-2.pdf")).unwrap();
        assert_eq!((first.as_str(), second.as_str()), ("first", "second"));

        let broken = root.path().join("broken.pdf");
        std::fs::write(&broken, "x").unwrap();
        let moved = layout.move_failed(&broken, "not a PDF").unwrap();
        assert_eq!(moved, layout.failed.join("broken.pdf"));
        let reason = std::fs::read_to_string(layout.failed.join("broken.pdf.reason")).unwrap();
        assert_eq!(reason, "not a PDF\n");
    }
}
