"""Japanese mail as it arrives: charsets named by the sender, decoded the way their clients meant.

Windows clients label mail Shift_JIS or ISO-2022-JP but write Microsoft's extensions (①, ㈱,
IBM kanji). Python's strict codecs refuse or garble those, so labels are mapped to the codec
the sender's software used: Shift_JIS is read as cp932, and ISO-2022-JP that the strict codec
refuses is re-read as cp932 after undoing the JIS shift (what Windows calls CP50220).
Headers are decoded the same way, whether MIME-encoded (RFC 2047) or sent as raw 8-bit bytes.
"""
import codecs
from email.header import decode_header

SJIS_LABELS = {"shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis",
               "windows-31j", "cp932", "ms932", "x-ms-cp932"}
JIS_LABELS = {"iso-2022-jp", "csiso2022jp", "iso2022jp", "iso-2022-jp-ms", "cp50220", "cp50221"}
FALLBACKS = ("utf-8", "cp932", "euc_jis_2004")


def _codec_ok(name):
    try:
        codecs.lookup(name)
        return True
    except LookupError:
        return False


def _jis_to_cp932(data):
    """ISO-2022-JP bytes to Shift_JIS (cp932) bytes, keeping every row of the JIS table."""
    out = bytearray()
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B and i + 2 < len(data):
            seq = bytes(data[i + 1:i + 3])
            if seq in (b"$B", b"$@"):
                mode, i = "jis", i + 3
                continue
            if seq in (b"(B", b"(J"):
                mode, i = "ascii", i + 3
                continue
            if seq == b"(I":
                mode, i = "kana", i + 3
                continue
        b = data[i]
        if mode == "jis" and b > 0x20 and i + 1 < len(data):
            j1, j2 = b, data[i + 1]
            s1 = (j1 + 1) // 2 + (0x70 if j1 <= 0x5E else 0xB0)
            s2 = j2 + (0x1F if j1 % 2 else 0x7E)
            if s2 >= 0x7F and j1 % 2:
                s2 += 1
            out += bytes((s1, s2))
            i += 2
            continue
        if mode == "kana" and 0x21 <= b <= 0x5F:
            out.append(b + 0x80)
        else:
            out.append(b)
        i += 1
    return bytes(out)


def decode_bytes(data, label=None):
    """Text of `data` in the charset `label` (as the sender named it), never raising."""
    label = (label or "").strip().strip('"').lower()
    if label in SJIS_LABELS:
        label = "cp932"
    if label in JIS_LABELS:
        for name in ("iso2022_jp", "iso2022_jp_ext"):
            try:
                return data.decode(name)
            except UnicodeDecodeError:
                continue
        return _jis_to_cp932(data).decode("cp932", errors="replace")
    tried = []
    if label and _codec_ok(label):
        tried.append(label)
    for name in tried + [n for n in FALLBACKS if n not in tried]:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    return data.decode(tried[0] if tried else "utf-8", errors="replace")


def decode_header_value(raw):
    """A header's text from its raw value: RFC 2047 words in any charset, or raw 8-bit bytes."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        # 8-bit bytes sent without MIME encoding (the parser kept them as surrogates).
        raw = decode_bytes(raw.encode("ascii", "surrogateescape"))
    parts = []
    for chunk, charset in decode_header(raw):
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset) if charset else
                         chunk.decode("ascii", errors="replace"))
        else:
            parts.append(chunk)
    text = "".join(parts)
    return " ".join(text.split())
