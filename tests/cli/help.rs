//! The whole `--help` tree is a snapshot, so a changed interface shows up in review.

use clap::CommandFactory;

use crate::common::TestEnv;

fn paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    for sub in cmd.get_subcommands() {
        let mut path = prefix.clone();
        path.push(sub.get_name().to_string());
        paths(sub, path, out);
    }
}

#[test]
fn help_tree() {
    let env = TestEnv::new();
    let mut all = Vec::new();
    paths(&raci::cli::Cli::command(), Vec::new(), &mut all);
    let mut text = String::new();
    for path in all.iter().filter(|p| p.last().map(String::as_str) != Some("help")) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        text.push_str(&format!("$ raci {}\n{}\n", args.join(" "), env.ok(&args)));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn no_command_names_the_commands_and_exits_2() {
    let env = TestEnv::new();
    let run = env.run(&[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("status") && run.stderr.contains("matrix"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().filter(|l| l.starts_with("error: ")).count(), 1);
    let run = env.run(&["task"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("signoff"), "{}", run.stderr);
}

#[test]
fn version_prints_and_succeeds() {
    let env = TestEnv::new();
    assert!(env.ok(&["--version"]).starts_with("raci "));
}
