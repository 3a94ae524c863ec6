fn main() -> std::process::ExitCode {
    palaver::config::main()
}
