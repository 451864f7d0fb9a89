#!/usr/bin/env python3
"""The peer aiprov's hashing is measured against: hashing the way model_signing does it.

model_signing (sigstore/model-transparency, `_serialization/file.py`, `file_shard.py` and
`_hashing/io.py`) walks the model with `Path.glob("**/*")`, checks every path, then hashes each
file (or each shard) in a `concurrent.futures.ThreadPoolExecutor` with the default number of
workers, reading 1 MiB chunks (`f.read`) into `hashlib`. This script does exactly that, with no
dependency beyond the standard library, and prints the OMS root digest (sha256 over the raw
digests in manifest order) so the benchmark can check that both tools hashed the same bytes.

Usage: model_signing_style.py PATH [--method files|shards] [--shard-size N] [--hash sha256|blake2b]
"""

import argparse
import concurrent.futures
import hashlib
import itertools
import pathlib

CHUNK_SIZE = 1_048_576  # model_signing's default chunk size
IGNORED = {".git", ".gitattributes", ".github", ".gitignore"}


def new_hash(name):
    return hashlib.sha256() if name == "sha256" else hashlib.blake2b()


def hash_file(path, hash_name):
    hasher = new_hash(hash_name)
    with open(path, "rb") as f:
        while True:
            data = f.read(CHUNK_SIZE)
            if not data:
                break
            hasher.update(data)
    return hasher.digest()


def hash_shard(path, start, end, hash_name):
    hasher = new_hash(hash_name)
    with open(path, "rb") as f:
        f.seek(start)
        to_read = end - start
        while to_read > 0:
            data = f.read(min(CHUNK_SIZE, to_read))
            if not data:
                break
            to_read -= len(data)
            hasher.update(data)
    return hasher.digest()


def list_files(model_path):
    paths = []
    for path in itertools.chain((model_path,), model_path.glob("**/*")):
        # model_signing's check_file_or_directory: no symlinks, only files and directories.
        if path.is_symlink():
            raise ValueError(f"{path} is a symlink")
        if not (path.is_file() or path.is_dir()):
            raise ValueError(f"{path} is neither a file nor a directory")
        relative = path.relative_to(model_path)
        if relative.parts and relative.parts[0] in IGNORED:
            continue
        if path.is_file():
            paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=pathlib.Path)
    parser.add_argument("--method", choices=["files", "shards"], default="files")
    parser.add_argument("--shard-size", type=int, default=1_000_000_000)
    parser.add_argument("--hash", choices=["sha256", "blake2b"], default="sha256")
    args = parser.parse_args()

    model_path = args.path
    files = list_files(model_path)
    with concurrent.futures.ThreadPoolExecutor() as pool:
        futures = {}
        for path in files:
            name = path.relative_to(model_path).as_posix()
            if args.method == "files":
                futures[pool.submit(hash_file, path, args.hash)] = (pathlib.PurePosixPath(name).parts, 0, 0)
                continue
            size = path.stat().st_size
            for start in range(0, size, args.shard_size):
                end = min(start + args.shard_size, size)
                futures[pool.submit(hash_shard, path, start, end, args.hash)] = (pathlib.PurePosixPath(name).parts, start, end)
        items = [(futures[future], future.result()) for future in concurrent.futures.as_completed(futures)]

    # OMS manifest order: path components compared by code point, then shard start and end.
    items.sort(key=lambda item: item[0])
    root = hashlib.sha256()
    for _, digest in items:
        root.update(digest)
    print(f"sha256:{root.hexdigest()}")


if __name__ == "__main__":
    main()
