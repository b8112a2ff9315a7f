//! Content-addressed files under the data dir: raw inputs and attachments are written once,
//! fsynced, and named by their SHA-256, so storing the same bytes twice costs nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use switchboard_core::CoreError;

/// The blob store rooted at a folder.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    /// Uses `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Returns the address (hex SHA-256) of some bytes without storing them.
    pub fn address_of(content: &[u8]) -> String {
        hex::encode(Sha256::digest(content))
    }

    /// Stores bytes durably and returns their address. Blocking: call from a blocking context.
    pub fn put(&self, content: &[u8]) -> Result<String, CoreError> {
        let address = Self::address_of(content);
        let path = self.path_of(&address)?;
        if path.exists() {
            return Ok(address);
        }
        let folder = path
            .parent()
            .ok_or_else(|| CoreError::Internal("blob path has no folder".into()))?;
        std::fs::create_dir_all(folder).map_err(|error| unavailable(folder, &error))?;
        let mut temporary = tempfile_in(folder)?;
        temporary
            .1
            .write_all(content)
            .and_then(|()| temporary.1.sync_all())
            .map_err(|error| unavailable(&temporary.0, &error))?;
        std::fs::rename(&temporary.0, &path).map_err(|error| unavailable(&path, &error))?;
        if let Ok(directory) = std::fs::File::open(folder) {
            // Persist the rename itself; a failure here only weakens durability on power loss.
            let _ = directory.sync_all();
        }
        Ok(address)
    }

    /// Reads stored bytes. Blocking.
    pub fn get(&self, address: &str) -> Result<Vec<u8>, CoreError> {
        let path = self.path_of(address)?;
        std::fs::read(&path).map_err(|error| missing_or_unavailable(address, &path, &error))
    }

    /// Opens stored bytes for reading in pieces. Blocking.
    pub fn open(&self, address: &str) -> Result<std::fs::File, CoreError> {
        let path = self.path_of(address)?;
        std::fs::File::open(&path).map_err(|error| missing_or_unavailable(address, &path, &error))
    }

    fn path_of(&self, address: &str) -> Result<PathBuf, CoreError> {
        let well_formed = address.len() == 64 && address.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed {
            return Err(CoreError::BadInput(format!(
                "not a blob address: {address:?}"
            )));
        }
        Ok(self.root.join(&address[..2]).join(&address[2..]))
    }
}

fn tempfile_in(folder: &Path) -> Result<(PathBuf, std::fs::File), CoreError> {
    let name = format!(".tmp-{}-{}", std::process::id(), unique_suffix());
    let path = folder.join(name);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|error| unavailable(&path, &error))?;
    Ok((path, file))
}

fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

impl switchboard_core::work::AttachmentBytes for BlobStore {
    fn open_blob(&self, address: &str) -> Result<Box<dyn std::io::Read + Send>, CoreError> {
        Ok(Box::new(self.open(address)?))
    }
}

fn missing_or_unavailable(address: &str, path: &Path, error: &std::io::Error) -> CoreError {
    match error.kind() {
        std::io::ErrorKind::NotFound => CoreError::not_found(format!("blob {address}")),
        _ => unavailable(path, error),
    }
}

fn unavailable(path: &Path, error: &std::io::Error) -> CoreError {
    CoreError::Unavailable(format!("blob store at {} ({error})", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_once_and_reads_back() {
        let folder = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(folder.path());
        let first = blobs.put(b"fax page").unwrap();
        let second = blobs.put(b"fax page").unwrap();
        assert_eq!(first, second);
        assert_eq!(blobs.get(&first).unwrap(), b"fax page");
        assert!(matches!(
            blobs.get(&BlobStore::address_of(b"other")),
            Err(CoreError::NotFound { .. })
        ));
    }

    #[test]
    fn rejects_addresses_that_could_escape_the_folder() {
        let blobs = BlobStore::new("/tmp/blobs");
        assert!(matches!(
            blobs.get("../../etc/passwd"),
            Err(CoreError::BadInput(_))
        ));
    }
}
