//! `switchboard export items`: the exported-item contract as JSON Lines on stdout.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use switchboard_core::store::Store;

const PAGE: u32 = 500;

/// Writes every item, in id order, one JSON object per line.
pub async fn items(store: &Arc<dyn Store>, with_text: bool) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut after = None;
    loop {
        let page = store.export_items(after, PAGE, with_text).await?;
        let Some(last) = page.last() else { break };
        after = Some(switchboard_core::WorkItemId::new(last.id));
        let mut out = stdout.lock();
        for item in &page {
            serde_json::to_writer(&mut out, item)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}
