"""The ``gongyou`` command: run, train, knowledge base upkeep and staff look-ups."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import List, Optional

# spaCy imports TensorFlow through thinc; its start-up chatter is noise in a staff terminal.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

def _quiet_jieba() -> None:
    import jieba

    jieba.setLogLevel(logging.WARNING)



def _cmd_train(args: argparse.Namespace) -> int:
    from bot.training import train

    train(force=args.force)
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:  # noqa: ARG001 - uniform handler signature
    from datetime import timedelta

    from bot.retention import purge, retention_days
    from bot.serve import run_forever

    # Apply the retention period at every start, so an operator who never runs the purge is still covered.
    try:
        report = purge(timedelta(days=retention_days()))
        if report.conversations or report.callback_numbers:
            print(f"Retention ({retention_days()} days): deleted {report.conversations} old conversation(s), "
                  f"{report.callback_numbers} callback number(s) of closed cases.")
    except Exception as error:  # noqa: BLE001 - a failed purge must not keep the assistant down
        print(f"Retention purge skipped: {error}", file=sys.stderr)
    return run_forever()


def _cmd_nlu_dictionary(args: argparse.Namespace) -> int:
    from bot.nlu.dictionary_builder import DICTIONARY_FILE, build_place_dictionary

    text = build_place_dictionary()
    if args.check:
        current = DICTIONARY_FILE.read_text(encoding="utf-8") if DICTIONARY_FILE.exists() else ""
        if current != text:
            print(f"{DICTIONARY_FILE} is out of date: run `gongyou nlu dictionary`", file=sys.stderr)
            return 1
        print(f"{DICTIONARY_FILE} is up to date")
        return 0
    DICTIONARY_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {DICTIONARY_FILE} ({text.count(chr(10))} lines)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (sub-commands register themselves here)."""
    parser = argparse.ArgumentParser(prog="gongyou", description="工友 labour-law assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train the Rasa model if its inputs changed")
    p.add_argument("--force", action="store_true", help="train even if nothing changed")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("serve", help="run the action server, Rasa server and web server")
    p.set_defaults(func=_cmd_serve)

    nlu = sub.add_parser("nlu", help="NLU resources").add_subparsers(dest="nlu_command", required=True)
    p = nlu.add_parser("dictionary", help="regenerate the jieba place-name dictionary")
    p.add_argument("--check", action="store_true", help="only check that it is up to date")
    p.set_defaults(func=_cmd_nlu_dictionary)

    users = sub.add_parser("user", help="staff console accounts").add_subparsers(dest="user_command", required=True)
    p = users.add_parser("add", help="create a staff console account (asks for its password)")
    p.add_argument("name")
    p.add_argument("--role", choices=("staff", "admin"), required=True)
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=_cmd_user_add)
    p = users.add_parser("list", help="every account: role, active, locked, last login")
    p.set_defaults(func=_cmd_user_list)
    for verb, text in (("disable", "disable an account and end its sessions at once"),
                       ("enable", "enable an account again (and unlock it)"),
                       ("delete", "delete an account (cases keep the name they were written with)")):
        p = users.add_parser(verb, help=text)
        p.add_argument("name")
        p.set_defaults(func=_cmd_user_change, verb=verb)
    p = users.add_parser("role", help="change an account's role (its sessions end)")
    p.add_argument("name")
    p.add_argument("role", choices=("staff", "admin"))
    p.set_defaults(func=_cmd_user_change, verb="role")
    p = users.add_parser("reset-password", help="set a new password (asks for it); the account's sessions end")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=_cmd_user_change, verb="reset-password")

    privacy = sub.add_parser("privacy", help="personal data").add_subparsers(dest="privacy_command", required=True)
    p = privacy.add_parser("purge", help="delete conversations older than the retention period")
    p.add_argument("--older-than", default=None, metavar="AGE",
                   help="e.g. 90d, 12w, 3m (default: $GONGYOU_RETENTION_DAYS or 90 days)")
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.set_defaults(func=_cmd_privacy_purge)

    from bot import cli_knowledge

    cli_knowledge.register(sub)
    return parser


def _cmd_privacy_purge(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.retention import parse_age, purge, retention_days
    from knowledge.db import upgrade

    try:
        age = parse_age(args.older_than) if args.older_than else timedelta(days=retention_days())
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    upgrade()
    report = purge(age, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {report.conversations} conversation(s) ({report.events} events) older than {age.days} days; "
          f"{verb} the callback number of {report.callback_numbers} closed case(s)")
    return 0


def _read_password(args: argparse.Namespace) -> Optional[str]:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(f"{args.name} 的密码（至少10个字符）：")
    if getpass.getpass("再输入一次：") != password:
        print("两次输入不一致", file=sys.stderr)
        return None
    return password


def _cmd_user_list(args: argparse.Namespace) -> int:  # noqa: ARG001 - uniform handler signature
    from knowledge.db import session_scope, upgrade
    from knowledge.staff import list_users

    upgrade()
    with session_scope() as session:
        rows = list_users(session)
    if not rows:
        print("还没有账号：gongyou user add 用户名 --role staff")
    for row in rows:
        state = "停用" if not row.active else ("锁定" if row.locked else "正常")
        last = row.last_login.strftime("%Y-%m-%d %H:%M") if row.last_login else "从未登录"
        print(f"{row.name}\t{row.role}\t{state}\t最近登录 {last} (UTC)")
    return 0


def _cmd_user_change(args: argparse.Namespace) -> int:
    from knowledge.db import session_scope, upgrade
    from knowledge.staff import AccountError, change_account

    password = _read_password(args) if args.verb == "reset-password" else None
    if args.verb == "reset-password" and password is None:
        return 1
    upgrade()
    try:
        with session_scope() as session:
            change_account(session, f"命令行（{getpass.getuser()}）", args.name, args.verb,
                           role=getattr(args, "role", None), password=password)
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    done = {"disable": "已停用（登录已全部失效）", "enable": "已启用", "delete": "已删除", "role": "角色已改（登录已全部失效）",
            "reset-password": "密码已重设（登录已全部失效）"}[args.verb]
    print(f"{args.name}：{done}")
    return 0


def _cmd_user_add(args: argparse.Namespace) -> int:
    from knowledge.db import session_scope, upgrade
    from knowledge.staff import AccountError, add_user

    password = _read_password(args)
    if password is None:
        return 1
    upgrade()
    try:
        with session_scope() as session:
            add_user(session, args.name, args.role, password)
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"已创建 {args.role} 账号 {args.name}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the ``gongyou`` console script."""
    args = build_parser().parse_args(argv)
    from knowledge.settings import settings

    settings().protect_files()
    _quiet_jieba()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
