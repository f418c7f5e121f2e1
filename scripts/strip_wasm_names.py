#!/usr/bin/env python3
"""Drops the `name` custom section (function names for stack traces) from a wasm module, in place.

Why: worker-build runs with --no-opt (no working wasm-opt here, see ../shared/toolchain.md), so the
module keeps its debug names: ~430 KB raw, ~115 KB gzip of the Worker's ~1.1 MB gzip bundle
(measured 2026-11-30 with rustls + ring). Without them a panic's stack trace shows wasm function
indices instead of names; the panic message itself (console_error_panic_hook) is unchanged.
Every other section is copied byte for byte. Prints the sizes before and after.

With a second argument, first writes the function names (index, tab, name; one a line) to that
file, outside the bundle: the capacity benchmark (`make bench-capacity`) uses it to name the
wasm functions of its CPU profile (V8 shows a nameless function as `wasm-function[index]`;
dropping a custom section changes no index).
"""
import sys


def leb128(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def function_names(data, body, end):
    """(index, name) pairs of the name section's function-names subsection (id 1)."""
    name_len, i = leb128(data, body)
    i += name_len
    out = []
    while i < end:
        sub_id = data[i]
        sub_size, sub = leb128(data, i + 1)
        i = sub + sub_size
        if sub_id != 1:
            continue
        count, j = leb128(data, sub)
        for _ in range(count):
            index, j = leb128(data, j)
            length, j = leb128(data, j)
            out.append((index, data[j:j + length].decode("utf-8", "replace")))
            j += length
    return out


def main(path, names_out=None):
    data = open(path, "rb").read()
    if data[:4] != b"\0asm":
        sys.exit(f"{path}: not a wasm module")
    out = bytearray(data[:8])
    i = 8
    while i < len(data):
        start = i
        section_id = data[i]
        size, body = leb128(data, i + 1)
        end = body + size
        if end > len(data):
            sys.exit(f"{path}: truncated section at byte {start}")
        keep = True
        if section_id == 0:
            name_len, name_at = leb128(data, body)
            keep = data[name_at:name_at + name_len] != b"name"
            if not keep and names_out:
                with open(names_out, "w") as f:
                    for index, name in function_names(data, body, end):
                        f.write(f"{index}\t{name}\n")
        if keep:
            out += data[start:end]
        i = end
    open(path, "wb").write(out)
    print(f"{path}: {len(data)} -> {len(out)} bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
