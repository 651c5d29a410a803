#!/usr/bin/env python3
"""Writes embedviz(1) from the CLI's own help (`embedviz --experimental-dump-help`, JSON on stdin).

swift-argument-parser's generate-manual plugin drops every non-ASCII character, which turned
"16×26×26" into "162626" and "Linear(2704→100)" into "Linear(2704100)" — wrong, not just plain.
This renders the same structure as man(7) source in UTF-8 (man-db's preconv handles it):
NAME, SYNOPSIS, DESCRIPTION, then one section per subcommand with its options and examples.

Usage: embedviz --experimental-dump-help | scripts/manpage.py VERSION > embedviz.1
"""
import datetime
import json
import sys


def escape(text):
    """Text safe for a man(7) line: backslashes, and a leading dot or quote."""
    text = text.replace("\\", "\\e")
    return "\\&" + text if text.startswith((".", "'")) else text


def prose(text):
    """Blank-line-separated blocks; indented blocks (examples, tables) keep their lines."""
    out = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if all(line.startswith("  ") or not line.strip() for line in lines[1:]) and len(lines) > 1 \
                or lines[0].startswith("  "):
            head = [] if lines[0].startswith("  ") else [lines.pop(0)]
            out += [".PP"] + [escape(h) for h in head] + [".nf"] + [escape(line) for line in lines] + [".fi"]
        else:
            out += [".PP", escape(" ".join(line.strip() for line in lines))]
    return out


def names(argument):
    parts = []
    for n in argument.get("names", []):
        parts.append(("\\-" if n["kind"] == "short" else "\\-\\-") + n["name"].replace("-", "\\-"))
    if argument["kind"] == "positional":
        return "\\fI" + argument.get("valueName", "value") + "\\fR"
    shown = ", ".join("\\fB" + p + "\\fR" for p in parts)
    if argument["kind"] == "option":
        shown += " \\fI" + escape(argument.get("valueName", "value")) + "\\fR"
    return shown


def command(info, path, out):
    title = " ".join(path)
    out += [".SH " + ('"' + title.upper() + '"' if len(path) > 1 else "DESCRIPTION")]
    if len(path) > 1 and info.get("abstract"):
        out += [".PP", escape(info["abstract"])]
    if info.get("discussion"):
        out += prose(info["discussion"])
    visible = [a for a in info.get("arguments", []) if a.get("shouldDisplay", True)
               and a.get("preferredName", {}).get("name") not in ("help", "version")]
    if visible:
        out += [".PP", "\\fBOptions\\fR" if len(path) > 1 else "\\fBGlobal options\\fR"]
        for a in visible:
            text = a.get("abstract", "")
            if a.get("discussion"):
                text += " " + a["discussion"]
            if "defaultValue" in a:
                text += " (default: " + a["defaultValue"] + ")"
            out += [".TP", names(a), escape(text.strip())]
    for sub in info.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            command(sub, path + [sub["commandName"]], out)


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else ""
    root = json.load(sys.stdin)["command"]
    date = datetime.date.today().isoformat()
    out = ['.TH EMBEDVIZ 1 "%s" "embedviz %s" "User Commands"' % (date, version),
           ".SH NAME", "embedviz \\- " + escape(root.get("abstract", "")),
           ".SH SYNOPSIS", ".B embedviz", "\\fIsubcommand\\fR [\\fIoptions\\fR]",
           ".PP", "Subcommands: " + ", ".join("\\fB%s\\fR" % s["commandName"] for s in root.get("subcommands", [])
                                             if s.get("shouldDisplay", True) and s["commandName"] != "help") + "."]
    command(root, ["embedviz"], out)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
