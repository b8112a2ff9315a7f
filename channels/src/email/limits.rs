//! Enforcing structural limits on a parsed message without recursion.

use mail_parser::{Message, PartType};

use super::EmailError;
use super::config::EmailLimits;

/// The measured shape of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Deepest nesting (the root part is depth 1).
    pub depth: usize,
    /// All parts, nested messages included.
    pub parts: usize,
}

/// Rejects input over the size limit before any parsing.
pub(crate) fn check_size(raw: &[u8], limits: &EmailLimits) -> Result<(), EmailError> {
    if raw.len() > limits.max_message_bytes {
        return Err(EmailError::TooLarge {
            size: raw.len(),
            limit: limits.max_message_bytes,
        });
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(EmailError::Empty);
    }
    Ok(())
}

/// Walks the MIME tree with an explicit stack and rejects it when it is too deep or has too
/// many parts.
pub(crate) fn check_shape(
    message: &Message<'_>,
    limits: &EmailLimits,
) -> Result<Shape, EmailError> {
    let mut stack: Vec<(&Message<'_>, usize, usize)> = vec![(message, 0, 1)];
    let mut shape = Shape { depth: 0, parts: 0 };
    while let Some((current, part_id, depth)) = stack.pop() {
        let Some(part) = current.parts.get(part_id) else {
            continue;
        };
        shape.parts += 1;
        shape.depth = shape.depth.max(depth);
        if depth > limits.max_mime_depth {
            return Err(EmailError::TooDeep {
                limit: limits.max_mime_depth,
            });
        }
        if shape.parts > limits.max_parts {
            return Err(EmailError::TooManyParts {
                limit: limits.max_parts,
            });
        }
        match &part.body {
            PartType::Multipart(children) => {
                stack.extend(
                    children
                        .iter()
                        .filter(|&&child| child as usize > part_id)
                        .map(|&child| (current, child as usize, depth + 1)),
                );
            }
            PartType::Message(nested) => stack.push((nested, 0, depth + 1)),
            _ => {}
        }
    }
    Ok(shape)
}
