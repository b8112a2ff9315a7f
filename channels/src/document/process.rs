//! Runs the external document tools (Poppler, Tesseract, libtiff) as child processes with a
//! time limit, an optional address-space limit and a bounded read of their output.
//!
//! Output goes to anonymous temporary files rather than pipes, so a chatty child can never block
//! on a full pipe while the parent waits for it.
//!
//! The tools run at the priority of the thread that starts them: the server reads documents on
//! threads lowered with [`lower_thread_to_idle_priority`], so the tools (which inherit it) only
//! get the CPU time e-mail intake and the web leave over. A time limit therefore counts the time
//! a tool ran or waited for I/O, not the time it waited for a CPU: a busy machine delays a page
//! but never fails it.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, pidfd_open};

use super::error::DocumentError;

/// At most this much of a tool's standard output is read.
const MAX_STDOUT_BYTES: u64 = 64 * 1024 * 1024;
/// At most this much of a tool's error output is kept for messages.
const MAX_STDERR_BYTES: u64 = 64 * 1024;
/// The niceness a thread takes where the idle scheduling policy cannot be set.
const FALLBACK_NICENESS: i32 = 19;
/// The longest pause between two looks at a running child where pidfds are not available.
const MAX_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// Limits applied to one tool run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ToolLimits {
    /// Wall-clock time after which the child is killed.
    pub time: Duration,
    /// Address-space limit in bytes (applied through `prlimit`), when set.
    pub memory_bytes: Option<u64>,
}

/// What a finished tool run printed.
#[derive(Debug)]
pub(crate) struct ToolOutput {
    /// Standard output, up to [`MAX_STDOUT_BYTES`].
    pub stdout: Vec<u8>,
    /// Error output, lossily decoded, up to [`MAX_STDERR_BYTES`].
    pub stderr: String,
    /// The exit status.
    pub status: ExitStatus,
}

impl ToolOutput {
    /// Returns the first lines of the error output, for an error message.
    pub fn stderr_summary(&self) -> String {
        let summary: Vec<&str> = self
            .stderr
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .take(3)
            .collect();
        if summary.is_empty() {
            format!("exit status {}", self.status)
        } else {
            summary.join("; ")
        }
    }
}

/// Finds a program on `PATH`, or takes an explicit path as it is.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    let candidate = Path::new(program);
    if candidate.components().count() > 1 {
        return candidate.is_file().then(|| candidate.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|full| full.is_file())
}

/// Runs `program` with `args` in `dir` under `limits`, waiting for it to finish or killing it at
/// the time limit. A missing program is [`DocumentError::OcrUnavailable`]; a non-zero exit is
/// returned as output so the caller can interpret the tool's message.
pub(crate) fn run_tool(
    program: &str,
    args: &[OsString],
    dir: &Path,
    limits: ToolLimits,
    page: Option<u32>,
) -> Result<ToolOutput, DocumentError> {
    let unavailable = |missing: &str| DocumentError::OcrUnavailable {
        program: missing.to_owned(),
    };
    let program_path = find_program(program).ok_or_else(|| unavailable(program))?;
    // The command line: under the address-space limit, the tool.
    let mut line: Vec<OsString> = Vec::new();
    if let Some(bytes) = limits.memory_bytes {
        let prlimit = find_program("prlimit").ok_or_else(|| unavailable("prlimit"))?;
        line.extend([
            prlimit.into_os_string(),
            format!("--as={bytes}").into(),
            "--".into(),
        ]);
    }
    line.push(program_path.into_os_string());
    let mut command = Command::new(&line[0]);
    command.args(&line[1..]);
    let stdout_file = tempfile::tempfile()?;
    let stderr_file = tempfile::tempfile()?;
    command
        .args(args)
        .current_dir(dir)
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout_file.try_clone()?))
        .stderr(Stdio::from(stderr_file.try_clone()?));
    let mut child = command.spawn().map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => unavailable(program),
        _ => DocumentError::Io(error),
    })?;
    let Some(status) = wait_within(&mut child, limits.time)? else {
        // The child may have exited meanwhile; either way it is reaped here.
        let _ = child.kill();
        let _ = child.wait();
        tracing::warn!(
            program,
            page,
            limit_ms = limits.time.as_millis() as u64,
            "tool timed out"
        );
        return Err(DocumentError::Timeout {
            program: program.to_owned(),
            page,
            limit: limits.time,
        });
    };
    Ok(ToolOutput {
        stdout: read_bounded(stdout_file, MAX_STDOUT_BYTES)?,
        stderr: String::from_utf8_lossy(&read_bounded(stderr_file, MAX_STDERR_BYTES)?).into_owned(),
        status,
    })
}

/// Runs a tool and turns a non-zero exit into [`DocumentError::ToolFailed`].
pub(crate) fn run_tool_checked(
    program: &str,
    args: &[OsString],
    dir: &Path,
    limits: ToolLimits,
    page: Option<u32>,
) -> Result<ToolOutput, DocumentError> {
    let output = run_tool(program, args, dir, limits, page)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(DocumentError::ToolFailed {
            program: program.to_owned(),
            page,
            detail: output.stderr_summary(),
        })
    }
}

/// Waits for the child to end within `limit` of time charged to it: the time since it started
/// less the time it spent waiting for a CPU (`/proc/PID/schedstat`; where that cannot be read,
/// all the time is charged). `None` when the limit is reached with the child still running.
///
/// Sleeps on a pidfd, which the kernel wakes the moment the child exits, so no time is lost
/// between a tool ending and the next step starting; looks every [`MAX_POLL_INTERVAL`] where
/// pidfds are not available.
fn wait_within(child: &mut Child, limit: Duration) -> std::io::Result<Option<ExitStatus>> {
    let started = Instant::now();
    // An unreaped child keeps its pid, so neither the pidfd nor the schedstat path can name
    // another process.
    let pidfd = i32::try_from(child.id())
        .ok()
        .and_then(Pid::from_raw)
        .and_then(|pid| pidfd_open(pid, PidfdFlags::empty()).ok());
    let schedstat = format!("/proc/{}/schedstat", child.id());
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let charged = started.elapsed().saturating_sub(waited_for_cpu(&schedstat));
        let left = limit.saturating_sub(charged);
        if left.is_zero() {
            return Ok(None);
        }
        match &pidfd {
            Some(pidfd) => {
                let timeout = Timespec::try_from(left).unwrap_or(Timespec {
                    tv_sec: i64::MAX,
                    tv_nsec: 0,
                });
                match poll(&mut [PollFd::new(pidfd, PollFlags::IN)], Some(&timeout)) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(error) => return Err(error.into()),
                }
            }
            None => std::thread::park_timeout(left.min(MAX_POLL_INTERVAL)),
        }
    }
}

/// The time a task has spent runnable but waiting for a CPU, from its `schedstat` file (run
/// time, wait time and slices, in nanoseconds); zero when the file cannot be read.
fn waited_for_cpu(schedstat: &str) -> Duration {
    std::fs::read_to_string(schedstat)
        .ok()
        .and_then(|stat| stat.split_whitespace().nth(1)?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

/// Lowers the calling thread, for the rest of its life, to the idle scheduling policy
/// (`SCHED_IDLE`, set with `chrt`): it and every process it starts (they inherit the policy)
/// run only on CPU time no other task wants. Where that cannot be set, the thread takes
/// niceness 19 instead. Meant for threads of their own: never call it on a pool thread that
/// runs other work afterwards.
pub fn lower_thread_to_idle_priority() -> Result<(), DocumentError> {
    let thread = rustix::thread::gettid();
    let idle = find_program("chrt").is_some_and(|chrt| {
        Command::new(chrt)
            .args(["--idle", "--pid", "0"])
            .arg(thread.as_raw_nonzero().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if !idle {
        rustix::process::setpriority_process(Some(thread), FALLBACK_NICENESS)
            .map_err(std::io::Error::from)?;
    }
    Ok(())
}

fn read_bounded(mut file: File, limit: u64) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Builds an argument list from string-like values.
pub(crate) fn args<I, S>(values: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    values
        .into_iter()
        .map(|value| value.as_ref().to_os_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(seconds: u64) -> ToolLimits {
        ToolLimits {
            time: Duration::from_secs(seconds),
            memory_bytes: None,
        }
    }

    #[test]
    fn missing_program_is_unavailable_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let error = run_tool("no-such-tool-xyz", &[], dir.path(), limits(1), None).unwrap_err();
        assert!(
            matches!(&error, DocumentError::OcrUnavailable { program } if program == "no-such-tool-xyz")
        );
        assert!(error.is_retryable());
    }

    #[test]
    fn slow_child_is_killed_at_the_time_limit() {
        let dir = tempfile::tempdir().unwrap();
        let limit = ToolLimits {
            time: Duration::from_millis(200),
            memory_bytes: None,
        };
        let started = Instant::now();
        let error = run_tool("sleep", &args(["5"]), dir.path(), limit, Some(3)).unwrap_err();
        assert!(matches!(
            error,
            DocumentError::Timeout { page: Some(3), .. }
        ));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn output_and_environment_reach_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let output = run_tool(
            "sh",
            &args(["-c", "echo $OMP_THREAD_LIMIT; echo oops >&2; exit 3"]),
            dir.path(),
            limits(5),
            None,
        )
        .unwrap();
        assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "1");
        assert_eq!(output.stderr_summary(), "oops");
        assert_eq!(output.status.code(), Some(3));
    }

    /// The scheduling policy a tool started from the calling thread runs under.
    fn tool_policy() -> String {
        let dir = tempfile::tempdir().unwrap();
        let output = run_tool(
            "sh",
            &args(["-c", "chrt -p $$"]),
            dir.path(),
            limits(5),
            None,
        )
        .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    #[test]
    fn tools_started_from_an_idle_thread_run_at_idle_priority() {
        assert!(tool_policy().contains("SCHED_OTHER"), "{}", tool_policy());
        let idle = std::thread::spawn(|| {
            lower_thread_to_idle_priority().unwrap();
            tool_policy()
        })
        .join()
        .unwrap();
        assert!(idle.contains("SCHED_IDLE"), "{idle}");
        // Only that thread was lowered.
        assert!(tool_policy().contains("SCHED_OTHER"));
    }

    /// Kills a helper process when dropped.
    struct Killed(std::process::Child);

    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn time_spent_waiting_for_a_cpu_is_not_charged_to_the_limit() {
        // A busy loop and a much nicer tool share CPU 0: the tool needs about 0.2 s of CPU
        // but waits most of the time, so it takes longer than its limit and still finishes.
        let _hog = Killed(
            Command::new("taskset")
                .args(["-c", "0", "sh", "-c", "while :; do :; done"])
                .spawn()
                .unwrap(),
        );
        let dir = tempfile::tempdir().unwrap();
        let limit = Duration::from_secs(1);
        let started = Instant::now();
        let counting = "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done";
        let output = run_tool(
            "taskset",
            &args(["-c", "0", "nice", "-n", "10", "sh", "-c", counting]),
            dir.path(),
            ToolLimits {
                time: limit,
                memory_bytes: None,
            },
            None,
        )
        .unwrap();
        assert!(output.status.success());
        assert!(started.elapsed() > limit, "took {:?}", started.elapsed());
    }

    #[test]
    fn memory_limit_stops_a_greedy_child() {
        let dir = tempfile::tempdir().unwrap();
        if find_program("prlimit").is_none() {
            assert!(std::env::var_os("CI").is_none(), "prlimit missing in CI");
            eprintln!("note: prlimit not installed, skipping");
            return;
        }
        let limit = ToolLimits {
            time: Duration::from_secs(10),
            memory_bytes: Some(64 * 1024 * 1024),
        };
        // A 512 MiB allocation cannot succeed inside a 64 MiB address space.
        let output = run_tool(
            "python3",
            &args(["-c", "b = bytearray(512 * 1024 * 1024)"]),
            dir.path(),
            limit,
            None,
        );
        match output {
            Ok(output) => assert!(!output.status.success()),
            Err(DocumentError::OcrUnavailable { program }) => assert_eq!(program, "python3"),
            Err(other) => panic!("unexpected {other}"),
        }
    }
}
