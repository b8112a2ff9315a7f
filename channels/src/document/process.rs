//! Runs the external document tools (Poppler, Tesseract, libtiff) as child processes with a
//! time limit, an optional address-space limit and a bounded read of their output.
//!
//! Output goes to anonymous temporary files rather than pipes, so a chatty child can never block
//! on a full pipe while the parent waits for it.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::error::DocumentError;

/// At most this much of a tool's standard output is read.
const MAX_STDOUT_BYTES: u64 = 64 * 1024 * 1024;
/// At most this much of a tool's error output is kept for messages.
const MAX_STDERR_BYTES: u64 = 64 * 1024;
/// How much nicer than the server the tools run: documents are read with the CPU that e-mail
/// intake and the web leave over.
const TOOL_NICENESS: &str = "10";
/// The longest pause between two looks at a running child.
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
    // The command line: nice'd (when `nice` is there), under the address-space limit, the tool.
    let mut line: Vec<OsString> = Vec::new();
    if let Some(nice) = find_program("nice") {
        line.extend([nice.into_os_string(), "-n".into(), TOOL_NICENESS.into()]);
    }
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
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() >= limits.time {
            // The child may have exited between the two calls; either way it is reaped below.
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
        }
        std::thread::park_timeout(pause);
        pause = (pause * 2).min(MAX_POLL_INTERVAL);
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

    #[test]
    fn tools_run_nicer_than_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let niceness =
            |stdout: &[u8]| -> i32 { String::from_utf8_lossy(stdout).trim().parse().unwrap() };
        let own = niceness(&Command::new("nice").output().unwrap().stdout);
        let output = run_tool("nice", &[], dir.path(), limits(5), None).unwrap();
        assert_eq!(niceness(&output.stdout), (own + 10).min(19));
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
