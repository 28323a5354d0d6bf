//! The load generator of the instruction counts: exactly N requests, one after the other, on one keep-alive
//! connection, every answer's status checked. Plain blocking std I/O: it is not what is measured.
//!
//! ```text
//! bench-client ADDR ENDPOINT N [--save FILE]   # ENDPOINT: interactions | contacts | action
//! bench-client --body ENDPOINT                 # prints the request body (for wrk)
//! ```
//!
//! `--save FILE` writes the first answer's body to FILE, so that the scripts can check that the three variants
//! answer the same bytes. The connection is retried for up to 60 s while the server starts (under valgrind it is
//! slow to).

use bridge_bench::Endpoint;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn usage() -> ExitCode {
    eprintln!("usage: bench-client ADDR interactions|contacts|action N [--save FILE] | bench-client --body ENDPOINT");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--body") {
        let Some(endpoint) = args.get(1).and_then(|e| Endpoint::from_name(e)) else { return usage() };
        print!("{}", endpoint.body());
        return ExitCode::SUCCESS;
    }
    let (Some(addr), Some(endpoint), Some(count)) = (
        args.first(),
        args.get(1).and_then(|e| Endpoint::from_name(e)),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        return usage();
    };
    let save = match args.get(3).map(String::as_str) {
        Some("--save") => args.get(4).cloned(),
        Some(_) => return usage(),
        None => None,
    };
    match run(addr, endpoint, count, save.as_deref()) {
        Ok(elapsed) => {
            eprintln!("bench-client: {count} × {} answered {} in {elapsed:?}", endpoint.path(), endpoint.status());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("bench-client: {err}");
            ExitCode::FAILURE
        }
    }
}

fn connect(addr: &str) -> Result<TcpStream, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match TcpStream::connect(addr) {
            Ok(stream) => return Ok(stream),
            Err(err) if Instant::now() > deadline => return Err(format!("cannot connect to {addr}: {err}")),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn run(addr: &str, endpoint: Endpoint, count: usize, save: Option<&str>) -> Result<Duration, String> {
    let body = endpoint.body();
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        endpoint.path(),
        body.len()
    );
    let stream = connect(addr)?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::with_capacity(1 << 16, stream);
    let mut answer = Vec::new();
    let started = Instant::now();
    for n in 0..count {
        writer.write_all(request.as_bytes()).map_err(|e| format!("request {n}: {e}"))?;
        let status = read_response(&mut reader, &mut answer).map_err(|e| format!("request {n}: {e}"))?;
        if status != endpoint.status() {
            return Err(format!(
                "request {n}: status {status}, expected {}: {}",
                endpoint.status(),
                String::from_utf8_lossy(&answer[..answer.len().min(500)])
            ));
        }
        if n == 0 {
            if let Some(path) = save {
                std::fs::write(path, &answer).map_err(|e| format!("{path}: {e}"))?;
            }
        }
    }
    Ok(started.elapsed())
}

/// Reads one response; returns its status and leaves its body in `body`.
fn read_response(reader: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> Result<u16, String> {
    let mut line = String::new();
    let read_line = |reader: &mut BufReader<TcpStream>, line: &mut String| -> Result<(), String> {
        line.clear();
        match reader.read_line(line) {
            Ok(0) => Err("the server closed the connection".into()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    };
    read_line(reader, &mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let (mut length, mut chunked) = (None, false);
    loop {
        read_line(reader, &mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    body.clear();
    if chunked {
        loop {
            read_line(reader, &mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("bad chunk size {line:?}"))?;
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).map_err(|e| e.to_string())?;
            read_line(reader, &mut line)?;
            if size == 0 {
                break;
            }
        }
    } else {
        let length = length.ok_or("an answer without Content-Length")?;
        body.resize(length, 0);
        reader.read_exact(body).map_err(|e| e.to_string())?;
    }
    Ok(status)
}
