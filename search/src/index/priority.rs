//! The index's writing threads yield the CPU to request handling: searches and pages stay fast
//! while items are indexed and segments merged. Under load the index lags a little more (it may,
//! and it catches up when the load drops); it never loses a change.
//!
//! On Linux a nice value belongs to a thread, and threads started by a thread inherit it: the
//! writer's own thread, and the thread that opens the tantivy writer (tantivy starts its
//! indexing and merge threads there), lower their priority with [`yield_to_requests`].

/// Nice value of the writing threads (request threads keep the process's own, usually 0).
pub(crate) const WRITER_NICE: i32 = 10;

/// Lowers the calling thread's CPU priority to [`WRITER_NICE`], unless it is lower already.
pub(crate) fn yield_to_requests() {
    #[cfg(unix)]
    {
        let lowered = rustix::process::getpriority_process(None).and_then(|current| {
            if current < WRITER_NICE {
                rustix::process::setpriority_process(None, WRITER_NICE)
            } else {
                Ok(())
            }
        });
        if let Err(error) = lowered {
            tracing::debug!(%error, "index writer keeps the process's CPU priority");
        }
    }
}
