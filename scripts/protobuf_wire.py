"""Protobuf wire-format reading for the scripts that take SentencePiece models apart
(fuzz_corpus.py, make_gguf_tokenizer_goldens.py), without the protobuf package."""
import struct


def varint(data, i):
    """The base-128 varint at data[i:]: (value, index after it)."""
    v = shift = 0
    while True:
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i


def fields(data):
    """(field, wire type, value, start, end) of each field of one message, in order; start:end
    is the field's bytes, key included. Values: int (varint), bytes (length-delimited, 64-bit),
    float (32-bit)."""
    i = 0
    while i < len(data):
        start = i
        key, i = varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = struct.unpack("<f", data[i:i + 4])[0], i + 4
        elif wire == 2:
            n, i = varint(data, i)
            value, i = data[i:i + n], i + n
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield field, wire, value, start, i
