using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ReluFast.IO;

/// <summary>
/// The header of a NumPy <c>.npy</c> file (format versions 1.0, 2.0 and 3.0): element type, memory
/// order and shape of a 1-D <c>(N,)</c> or 2-D <c>(N, d)</c> array, and where its data starts.
/// <para>
/// Layout: the magic <c>\x93NUMPY</c>, the major and minor version bytes, the header length
/// (2 bytes little-endian for 1.0, 4 bytes for 2.0 and 3.0), then a Python dictionary literal
/// <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (N, d), }</c> padded with spaces and a final
/// newline so that the data starts at a multiple of 64 bytes. Headers written here are byte for
/// byte what NumPy (1.24 and later) writes for the same array, including its spare space after the
/// dictionary that lets the row count grow in place.
/// </para>
/// </summary>
public sealed class NpyHeader
{
    /// <summary>The six magic bytes every <c>.npy</c> file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => MagicBytes;

    private static readonly byte[] MagicBytes = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>NumPy aligns the start of the data to this many bytes.</summary>
    public const int ArrayAlign = 64;

    /// <summary>The largest header this reader accepts (NumPy itself refuses headers over 10,000 bytes by default).</summary>
    public const int MaxHeaderLength = 1 << 20;

    // NumPy leaves room for the growth axis to reach 21 digits (format.py, GROWTH_AXIS_MAX_DIGITS).
    private const int GrowthAxisMaxDigits = 21;

    private readonly long[] _shape;

    /// <summary>Describes an array to write.</summary>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">One or two non-negative dimensions.</param>
    /// <param name="fortranOrder">Whether the data is stored column-major (Fortran order).</param>
    /// <exception cref="ArgumentException">The shape has no, or more than two, dimensions, or a negative one.</exception>
    public NpyHeader(NpyDType dtype, ReadOnlySpan<long> shape, bool fortranOrder = false)
    {
        if (shape.Length is < 1 or > 2)
            throw new ArgumentException($"ReluFast writes 1-D and 2-D arrays; the shape has {shape.Length} dimensions.", nameof(shape));
        foreach (long n in shape)
            if (n < 0) throw new ArgumentException($"Dimensions must be non-negative, got {n}.", nameof(shape));
        DType = dtype;
        FortranOrder = fortranOrder;
        _shape = shape.ToArray();
        ElementCount = CheckedCount(_shape) ?? throw new ArgumentException("The shape has more elements than fit in 64 bits.", nameof(shape));
        byte[] encoded = Encode(null, 0);
        DataOffset = encoded.Length;
        MajorVersion = encoded[6];
    }

    private NpyHeader(NpyDType dtype, long[] shape, bool fortranOrder, long elementCount, byte major, long dataOffset)
    {
        DType = dtype;
        _shape = shape;
        FortranOrder = fortranOrder;
        ElementCount = elementCount;
        MajorVersion = major;
        DataOffset = dataOffset;
    }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Whether the data is stored column-major (Fortran order). Irrelevant for 1-D arrays.</summary>
    public bool FortranOrder { get; }

    /// <summary>The shape: one or two dimensions.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>Number of dimensions: 1 or 2.</summary>
    public int Rank => _shape.Length;

    /// <summary>First dimension N.</summary>
    public long Rows => _shape[0];

    /// <summary>Second dimension d, or 1 for a 1-D array.</summary>
    public long Columns => _shape.Length == 2 ? _shape[1] : 1;

    /// <summary>Number of elements, the product of the dimensions.</summary>
    public long ElementCount { get; }

    /// <summary>Bytes per element.</summary>
    public int ItemSize => DType.ItemSize();

    /// <summary>Bytes of data the shape calls for.</summary>
    public long DataLength => ElementCount * ItemSize;

    /// <summary>Offset of the first data byte from the start of the file: the total header length.</summary>
    public long DataOffset { get; }

    /// <summary>Format major version: 1, 2 or 3 (as read, or as it will be written).</summary>
    public byte MajorVersion { get; }

    /// <summary>Whether the data is laid out so that one row is contiguous (C order, or a 1-D array, or one column).</summary>
    public bool RowsAreContiguous => !FortranOrder || Rank == 1 || Columns == 1 || Rows <= 1;

    /// <summary>The shape as Python prints it: <c>(5,)</c> or <c>(5, 3)</c>.</summary>
    public string ShapeText => ShapeToText(_shape);

    /// <summary>A short description, e.g. <c>float64 (1000, 8), C order</c>.</summary>
    public override string ToString() => $"{DType.Name()} {ShapeText}, {(FortranOrder ? "Fortran" : "C")} order";

    /// <summary>
    /// The header bytes NumPy writes for this array: magic, version, length, dictionary, padding and
    /// newline, a multiple of 64 bytes long.
    /// </summary>
    /// <param name="majorVersion">1, 2 or 3; <see langword="null"/> for the oldest version that can hold the header (as NumPy does).</param>
    public byte[] ToBytes(int? majorVersion = null) => Encode(majorVersion, 0);

    /// <summary>Reads the header from the start of <paramref name="stream"/>, leaving it positioned at the first data byte.</summary>
    /// <param name="stream">A stream at the start of a <c>.npy</c> file.</param>
    /// <param name="sourceName">The file name for error messages.</param>
    /// <exception cref="ReluFastDataException">The stream does not hold a supported <c>.npy</c> header.</exception>
    public static NpyHeader Read(Stream stream, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[12];
        int got = ReadAtLeast(stream, prefix[..10]);
        CheckPrefix(prefix[..got], sourceName);
        int prefixLength = PrefixLength(prefix[6], prefix[7], sourceName);
        if (prefixLength == 12 && ReadAtLeast(stream, prefix[10..12]) < 2) throw Truncated(sourceName, "in the header");
        long headerLength = HeaderLength(prefix, sourceName);
        var bytes = new byte[prefixLength + headerLength];
        prefix[..prefixLength].CopyTo(bytes);
        if (ReadAtLeast(stream, bytes.AsSpan(prefixLength)) < headerLength) throw Truncated(sourceName, "in the header");
        return Parse(bytes, sourceName);
    }

    /// <summary>Reads the header of the file behind <paramref name="handle"/> (thread-safe, offset-based).</summary>
    /// <param name="handle">An open file.</param>
    /// <param name="sourceName">The file name for error messages.</param>
    /// <exception cref="ReluFastDataException">The file does not hold a supported <c>.npy</c> header.</exception>
    public static NpyHeader Read(SafeFileHandle handle, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(handle);
        Span<byte> prefix = stackalloc byte[12];
        int got = ReadFully(handle, prefix, 0);
        CheckPrefix(prefix[..Math.Min(got, 10)], sourceName);
        int prefixLength = PrefixLength(prefix[6], prefix[7], sourceName);
        if (got < prefixLength) throw Truncated(sourceName, "in the header");
        long headerLength = HeaderLength(prefix, sourceName);
        var bytes = new byte[prefixLength + headerLength];
        if (ReadFully(handle, bytes, 0) < bytes.Length) throw Truncated(sourceName, "in the header");
        return Parse(bytes, sourceName);
    }

    /// <summary>Parses a header from <paramref name="bytes"/>, which must start at the magic and hold the whole header (data may follow).</summary>
    /// <param name="bytes">The first bytes of a <c>.npy</c> file.</param>
    /// <param name="sourceName">The file name for error messages.</param>
    /// <exception cref="ReluFastDataException">The bytes are not a supported <c>.npy</c> header.</exception>
    public static NpyHeader Parse(ReadOnlySpan<byte> bytes, string? sourceName)
    {
        CheckPrefix(bytes[..Math.Min(bytes.Length, 10)], sourceName);
        byte major = bytes[6];
        int prefixLength = PrefixLength(major, bytes[7], sourceName);
        if (bytes.Length < prefixLength) throw Truncated(sourceName, "in the header");
        long headerLength = HeaderLength(bytes, sourceName);
        if (bytes.Length < prefixLength + headerLength) throw Truncated(sourceName, "in the header");
        var raw = bytes.Slice(prefixLength, (int)headerLength);
        string text;
        try
        {
            text = major == 3 ? new UTF8Encoding(false, true).GetString(raw) : Encoding.Latin1.GetString(raw);
        }
        catch (DecoderFallbackException e)
        {
            throw new ReluFastDataException(sourceName, "the .npy header is not valid UTF-8 text.", e);
        }
        return FromDictionaryText(text, major, prefixLength + headerLength, sourceName);
    }

    private static NpyHeader FromDictionaryText(string text, byte major, long dataOffset, string? sourceName)
    {
        Dictionary<string, object?> dict;
        try
        {
            dict = NpyHeaderDictionary.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ReluFastDataException(sourceName, $"the .npy header is garbled ({e.Message}): {Quote(text)}", e);
        }
        foreach (string key in (string[])["descr", "fortran_order", "shape"])
            if (!dict.ContainsKey(key))
                throw new ReluFastDataException(sourceName, $"the .npy header has no '{key}' entry: {Quote(text)}");

        NpyDType dtype = ParseDescr(dict["descr"], sourceName);

        if (dict["fortran_order"] is not bool fortran)
            throw new ReluFastDataException(sourceName, $"the .npy header's fortran_order is not True or False: {Quote(text)}");

        if (dict["shape"] is not List<object?> dims || dims.Exists(v => v is not long))
            throw new ReluFastDataException(sourceName, $"the .npy header's shape is not a tuple of integers: {Quote(text)}");
        long[] shape = dims.Select(v => (long)v!).ToArray();
        if (Array.Exists(shape, n => n < 0))
            throw new ReluFastDataException(sourceName, $"the .npy header has a negative dimension in shape {ShapeToText(shape)}.");
        if (shape.Length == 0)
            throw new ReluFastDataException(sourceName, "the file holds a 0-d (scalar) array; ReluFast needs a 1-D (N,) or 2-D (N, d) array.");
        if (shape.Length > 2)
            throw new ReluFastDataException(sourceName,
                $"the file holds a {shape.Length}-D array of shape {ShapeToText(shape)}; ReluFast needs a 1-D (N,) or 2-D (N, d) array (reshape " +
                $"it, e.g. a.reshape(len(a), -1)).");
        long count = CheckedCount(shape) ?? -1;
        if (count < 0 || count > long.MaxValue / dtype.ItemSize())
            throw new ReluFastDataException(sourceName, $"the .npy shape {ShapeToText(shape)} is too large.");
        return new NpyHeader(dtype, shape, fortran, count, major, dataOffset);
    }

    private static NpyDType ParseDescr(object? descr, string? sourceName)
    {
        if (descr is NpyHeaderDictionary.ListValue list)
            throw new ReluFastDataException(sourceName,
                $"the file holds a structured (record) array with dtype {list.Text}; ReluFast reads plain float32 " +
                $"('<f4') or float64 ('<f8') arrays.");
        if (descr is not string s)
            throw new ReluFastDataException(sourceName, "the .npy header's descr is not a dtype string.");
        switch (s)
        {
            case "<f8": return NpyDType.Float64;
            case "<f4": return NpyDType.Float32;
            case "=f8" when BitConverter.IsLittleEndian: return NpyDType.Float64;
            case "=f4" when BitConverter.IsLittleEndian: return NpyDType.Float32;
        }
        throw new ReluFastDataException(sourceName, UnsupportedDescrMessage(s));
    }

    internal static string UnsupportedDescrMessage(string descr)
    {
        const string Supported = "ReluFast reads little-endian float32 ('<f4') and float64 ('<f8') arrays only";
        if (descr.Length >= 2 && descr[1] == 'O')
            return $"the file holds an object array (dtype '{descr}', pickled Python objects), which cannot be read safely; {Supported}: save a " +
                $"float array, e.g. np.save(path, a.astype('<f8')).";
        char order = descr.Length > 0 ? descr[0] : '?';
        string body = order is '<' or '>' or '=' or '|' or '!' ? descr[1..] : descr;
        string kind = body.Length == 0 ? "an empty descr" : body[0] switch
        {
            'f' => $"{(SizeOf(body) is int n ? $"{8 * n}-bit " : "")}floating point",
            'i' => $"{(SizeOf(body) is int n ? $"{8 * n}-bit " : "")}signed integer",
            'u' => $"{(SizeOf(body) is int n ? $"{8 * n}-bit " : "")}unsigned integer",
            'b' => "boolean",
            'c' => "complex",
            'U' => "Unicode string",
            'S' or 'a' => "byte string",
            'V' => "raw bytes (void)",
            'M' => "datetime",
            'm' => "timedelta",
            _ => "unknown",
        };
        string endian = order is '>' or '!' ? "big-endian " : "";
        return $"unsupported dtype '{descr}' ({endian}{kind}); {Supported}: convert it, e.g. np.save(path, a.astype('<f8')).";
    }

    private static int? SizeOf(string body) =>
        int.TryParse(body.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : null;

    private byte[] Encode(int? majorVersion, int totalLength)
    {
        var sb = new StringBuilder(128);
        sb.Append("{'descr': '").Append(DType.Descr()).Append("', 'fortran_order': ")
          .Append(FortranOrder ? "True" : "False").Append(", 'shape': ").Append(ShapeText).Append(", }");
        long growthAxis = _shape[FortranOrder ? _shape.Length - 1 : 0];
        sb.Append(' ', Math.Max(0, GrowthAxisMaxDigits - growthAxis.ToString(CultureInfo.InvariantCulture).Length));
        byte[] dict = Encoding.ASCII.GetBytes(sb.ToString());

        int major = majorVersion ?? 1;
        if (major is < 1 or > 3)
            throw new ArgumentOutOfRangeException(nameof(majorVersion), majorVersion, "The .npy format versions are 1, 2 and 3.");
        while (true)
        {
            int prefix = major == 1 ? 10 : 12;
            int hlen = dict.Length + 1;
            int padlen = ArrayAlign - (prefix + hlen) % ArrayAlign;
            int total = prefix + hlen + padlen;
            if (totalLength > total) { padlen += totalLength - total; total = totalLength; }
            if (major == 1 && hlen + padlen > ushort.MaxValue)
            {
                if (majorVersion is not null) throw new InvalidOperationException("The header is too long for format version 1.0.");
                major = 2;
                continue;
            }
            var bytes = new byte[total];
            MagicBytes.CopyTo(bytes, 0);
            bytes[6] = (byte)major;
            bytes[7] = 0;
            if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)(hlen + padlen));
            else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)(hlen + padlen));
            dict.CopyTo(bytes, prefix);
            bytes.AsSpan(prefix + dict.Length, padlen).Fill((byte)' ');
            bytes[^1] = (byte)'\n';
            return bytes;
        }
    }

    /// <summary>Encodes with the total length forced to <paramref name="totalLength"/> (for rewriting a header in place).</summary>
    internal byte[] ToBytesOfLength(int totalLength)
    {
        byte[] bytes = Encode(MajorVersion, totalLength);
        if (bytes.Length != totalLength)
            throw new InvalidOperationException($"The header needs {bytes.Length} bytes but only {totalLength} were reserved.");
        return bytes;
    }

    internal static string ShapeToText(ReadOnlySpan<long> shape) => shape.Length switch
    {
        0 => "()",
        1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
        _ => "(" + string.Join(", ", shape.ToArray().Select(n => n.ToString(CultureInfo.InvariantCulture))) + ")",
    };

    private static long? CheckedCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (long n in shape)
        {
            if (n != 0 && count > long.MaxValue / n) return null;
            count *= n;
        }
        return count;
    }

    private static void CheckPrefix(ReadOnlySpan<byte> prefix, string? sourceName)
    {
        if (prefix.Length == 0) throw new ReluFastDataException(sourceName, "not a NumPy .npy file: the file is empty.");
        int n = Math.Min(prefix.Length, 6);
        if (!prefix[..n].SequenceEqual(MagicBytes.AsSpan(0, n)))
            throw new ReluFastDataException(sourceName, "not a NumPy .npy file: it does not start with the magic bytes \\x93NUMPY.");
        if (prefix.Length < 10) throw Truncated(sourceName, "in the header");
    }

    private static int PrefixLength(byte major, byte minor, string? sourceName) => major switch
    {
        1 => 10,
        2 or 3 => 12,
        _ => throw new ReluFastDataException(sourceName,
            $"unsupported .npy format version {major}.{minor}; ReluFast reads versions 1.0, 2.0 and 3.0."),
    };

    private static long HeaderLength(ReadOnlySpan<byte> prefix, string? sourceName)
    {
        long length = prefix[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (length > MaxHeaderLength)
            throw new ReluFastDataException(sourceName,
                $"the .npy header claims to be {length} bytes long, more than any real header; the file is corrupt.");
        return length;
    }

    private static string Quote(string text)
    {
        string t = text.TrimEnd();
        return t.Length <= 200 ? $"\"{t}\"" : $"\"{t[..200]}...\"";
    }

    internal static ReluFastDataException Truncated(string? sourceName, string where) =>
        new(sourceName, $"the .npy file is truncated: it ends {where}.");

    private static int ReadAtLeast(Stream stream, Span<byte> buffer) => stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    /// <summary>Reads until <paramref name="buffer"/> is full or the file ends; returns the bytes read.</summary>
    internal static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
