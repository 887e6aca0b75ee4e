//! `yoton keygen FILE`: a new random secret for secured links.

use yoton::Secret;

use crate::args::KeygenArgs;
use crate::failure::Failure;
use crate::session;

/// Runs `yoton keygen`.
pub(crate) fn run(args: &KeygenArgs) -> Result<(), Failure> {
    let secret = Secret::generate().map_err(|e| Failure::error(format!("no random bytes: {e}")))?;
    secret.write_new_file(&args.file).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::error(format!(
                "{} exists; a secret is never overwritten (remove it first to replace it)",
                args.file.display()
            ))
        } else {
            Failure::error(format!("cannot write {}: {e}", args.file.display()))
        }
    })?;
    session::note(&format!("wrote a new secret to {}", args.file.display()));
    Ok(())
}
