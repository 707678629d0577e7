//! Prints the findings for one file: `cargo run -p asyncwatch-lint --example check -- FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: check FILE");
    let source = std::fs::read_to_string(&path).expect("readable file");
    let mut settings = asyncwatch_lint::Settings::default();
    settings.enable("all").expect("all is a rule set");
    match asyncwatch_lint::check_source(&path, &source, &settings) {
        Ok(diagnostics) => {
            for d in diagnostics {
                println!(
                    "{}:{}:{}: {} {}",
                    d.file, d.span.start.line, d.span.start.column, d.rule, d.message
                );
            }
        }
        Err(e) => println!("error: {}", e.message),
    }
}
