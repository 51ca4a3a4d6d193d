//! `fake-libreview`: the fake LibreLinkUp server as a process, for manual testing and for test suites in other
//! languages. It seeds the default accounts, prints its base URL and the accounts, and runs until killed.

use std::process::ExitCode;

use tidewatch_tests::FakeLlu;
use tidewatch_tests::fake::default_accounts;

/// The port when `--port` is not given.
const DEFAULT_PORT: u16 = 9000;

const USAGE: &str = "\
fake-libreview: a fake LibreLinkUp (LLU v4 /llu/*) server on 127.0.0.1, plain HTTP.

USAGE:
    fake-libreview [--port PORT]

OPTIONS:
    --port PORT    listen on 127.0.0.1:PORT (default 9000; 0 picks a free port)
    -h, --help     print this help

HOSTS (every region on one address):
    global host    http://127.0.0.1:PORT/llu/auth/login, /llu/config/country?country=DE
    regional host  http://127.0.0.1:PORT/{us|eu|eu2|de|fr|jp|ap|au|ae|ca|la|ru|cn}/llu/...

CONTROL API (never under a region prefix):
    POST /__fake/accounts      add or replace an account (JSON; only email and password required)
    GET  /__fake/calls?email=  the calls attributed to an account (all calls without email)
    POST /__fake/reset         forget the recorded calls
";

/// Reads `--port N`, `--port=N` and `--help`; anything else is an error.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<u16>, String> {
    let mut port = DEFAULT_PORT;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => args.next().ok_or("--port needs a value")?,
            _ => match arg.strip_prefix("--port=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument {arg:?}")),
            },
        };
        port = value.parse().map_err(|_| format!("--port wants a number from 0 to 65535, not {value:?}"))?;
    }
    Ok(Some(port))
}

fn main() -> ExitCode {
    let port = match parse_args(std::env::args().skip(1)) {
        Ok(Some(port)) => port,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("fake-libreview: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let fake = match FakeLlu::spawn(port) {
        Ok(fake) => fake,
        Err(e) => {
            eprintln!("fake-libreview: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    fake.seed_defaults();
    println!("fake LibreLinkUp listening on {}", fake.base_url());
    println!("accounts (e-mail / password: what it exercises):");
    for (account, what) in default_accounts() {
        println!("  {} / {}: {what}", account.email, account.password);
    }
    println!("send `version: 4.16.0` or later, `product: llu.android`, and `account-id` on data calls; Ctrl-C stops.");
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<u16>, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn arguments() {
        assert_eq!(parse(&[]), Ok(Some(DEFAULT_PORT)));
        assert_eq!(parse(&["--port", "0"]), Ok(Some(0)));
        assert_eq!(parse(&["--port=9123"]), Ok(Some(9123)));
        assert_eq!(parse(&["--help"]), Ok(None));
        assert_eq!(parse(&["--port", "8080", "-h"]), Ok(None));
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "70000"]).is_err());
        assert!(parse(&["--verbose"]).is_err());
    }
}
