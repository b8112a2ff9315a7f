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
        self.put_all(&[content])?
            .pop()
            .ok_or_else(|| CoreError::Internal("blob not stored".into()))
    }

    /// Stores several contents durably behind one barrier and returns their addresses in
    /// order. Blocking: call from a blocking context.
    ///
    /// Every new content is written to a temporary file first; then all of them are flushed
    /// at once (file systems join concurrent flushes into one journal commit, so a batch costs
    /// about what one file does), renamed into place, and their folders flushed once each.
    /// When this returns, every address names complete bytes, even after a power loss.
    pub fn put_all(&self, contents: &[&[u8]]) -> Result<Vec<String>, CoreError> {
        let mut addresses = Vec::with_capacity(contents.len());
        let mut pending: Vec<PendingBlob> = Vec::new();
        for content in contents {
            let address = Self::address_of(content);
            let path = self.path_of(&address)?;
            let already = path.exists() || pending.iter().any(|blob| blob.path == path);
            if !already {
                pending.push(PendingBlob::write(path, content)?);
            }
            addresses.push(address);
        }
        if pending.is_empty() {
            return Ok(addresses);
        }
        flush_concurrently(pending.iter().map(|blob| &blob.file), |file| {
            file.sync_all()
        })
        .map_err(|error| unavailable(&self.root, &error))?;
        let mut folders: Vec<PathBuf> = Vec::new();
        for blob in pending {
            blob.rename_into_place()?;
            if let Some(folder) = blob.path.parent()
                && !folders.iter().any(|seen| seen == folder)
            {
                folders.push(folder.to_path_buf());
            }
        }
        // Persist the renames; a failure here only weakens durability on power loss.
        let directories: Vec<std::fs::File> = folders
            .iter()
            .filter_map(|folder| std::fs::File::open(folder).ok())
            .collect();
        let _ = flush_concurrently(directories.iter(), std::fs::File::sync_all);
        Ok(addresses)
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

/// A new content written to its temporary file, not yet flushed or in place.
struct PendingBlob {
    temporary: PathBuf,
    file: std::fs::File,
    path: PathBuf,
}

impl PendingBlob {
    fn write(path: PathBuf, content: &[u8]) -> Result<Self, CoreError> {
        let folder = path
            .parent()
            .ok_or_else(|| CoreError::Internal("blob path has no folder".into()))?;
        std::fs::create_dir_all(folder).map_err(|error| unavailable(folder, &error))?;
        let (temporary, mut file) = tempfile_in(folder)?;
        file.write_all(content)
            .map_err(|error| unavailable(&temporary, &error))?;
        Ok(Self {
            temporary,
            file,
            path,
        })
    }

    fn rename_into_place(&self) -> Result<(), CoreError> {
        std::fs::rename(&self.temporary, &self.path)
            .map_err(|error| unavailable(&self.path, &error))
    }
}

impl Drop for PendingBlob {
    /// Removes the temporary file of a batch that failed before it was renamed.
    fn drop(&mut self) {
        if self.temporary.exists() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// Most flushes waiting at once: enough for the file system to join them into few commits.
const CONCURRENT_FLUSHES: usize = 16;

/// Runs `flush` on every file, up to [`CONCURRENT_FLUSHES`] at a time; the first error wins.
fn flush_concurrently<'a>(
    files: impl Iterator<Item = &'a std::fs::File>,
    flush: impl Fn(&std::fs::File) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    let files: Vec<&std::fs::File> = files.collect();
    if files.len() <= 1 {
        return files.into_iter().try_for_each(&flush);
    }
    let per_thread = files.len().div_ceil(CONCURRENT_FLUSHES);
    std::thread::scope(|scope| {
        let flush = &flush;
        let workers: Vec<_> = files
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().try_for_each(|file| flush(file))))
            .collect();
        // The scope joins every worker even when an earlier one failed.
        workers.into_iter().try_for_each(|worker| {
            worker
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("flush thread panicked")))
        })
    })
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
    fn stores_a_batch_once_each_in_order() {
        let folder = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(folder.path());
        let kept = blobs.put(b"already here").unwrap();
        let contents: [&[u8]; 4] = [b"one", b"already here", b"two", b"one"];
        let addresses = blobs.put_all(&contents).unwrap();
        assert_eq!(addresses.len(), 4);
        assert_eq!(addresses[1], kept);
        assert_eq!(addresses[0], addresses[3]);
        for (address, content) in addresses.iter().zip(contents) {
            assert_eq!(blobs.get(address).unwrap(), content);
        }
        let leftovers = std::fs::read_dir(folder.path())
            .unwrap()
            .flat_map(|entry| std::fs::read_dir(entry.unwrap().path()).unwrap())
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0, "no temporary file is left behind");
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
