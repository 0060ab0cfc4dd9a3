//! Parse, run, map the error to an exit code; nothing else.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match raci::cli::run(std::env::args_os(), &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the input was: control characters are escaped.
            let message: String = e
                .line()
                .chars()
                .map(|c| match raci::domain::values::is_forbidden(c) {
                    true => c.escape_default().to_string(),
                    false => c.to_string(),
                })
                .collect();
            eprintln!("error: {message}");
            ExitCode::from(e.kind.exit_code())
        }
    }
}
