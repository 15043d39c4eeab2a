using System.Numerics;

namespace ReluFast.Moments;

/// <summary>
/// The binary format shared by the accumulators: a header (magic, format version, kind, element size,
/// shape) followed by the flat state of <c>CopyState</c> as little-endian IEEE doubles, so a round trip
/// is bit-exact.
/// </summary>
internal static class MomentState
{
    private const int Magic = 0x414D4652; // "RFMA"
    private const int FormatVersion = 1;

    public const int KindWeightedGram = 1;
    public const int KindProjectedTensor = 2;
    public const int KindHermiteProjection = 3;

    public static int ElementSize<T>() where T : unmanaged => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    public static void Write(Stream stream, int kind, int elementSize, ReadOnlySpan<int> shape, ReadOnlySpan<double> extra,
        ReadOnlySpan<double> state)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(kind);
        writer.Write(elementSize);
        writer.Write(shape.Length);
        foreach (int s in shape) writer.Write(s);
        writer.Write(extra.Length);
        foreach (double v in extra) writer.Write(v);
        writer.Write(state.Length);
        foreach (double v in state) writer.Write(v);
    }

    /// <summary>Reads a header and its payload; checks the magic, version, kind and element type.</summary>
    public static (int[] Shape, double[] Extra, double[] State) Read(Stream stream, int kind, int elementSize, string typeName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadInt32() != Magic) throw new InvalidDataException("Not a ReluFast moment accumulator (bad magic number).");
        int version = reader.ReadInt32();
        if (version != FormatVersion)
            throw new InvalidDataException($"Unsupported accumulator format version {version} (this build reads {FormatVersion}).");
        int gotKind = reader.ReadInt32();
        if (gotKind != kind) throw new InvalidDataException($"The stream holds accumulator kind {gotKind}, not {kind} ({typeName}).");
        int gotSize = reader.ReadInt32();
        if (gotSize != elementSize)
            throw new InvalidDataException($"The stream was written by an accumulator over {gotSize}-byte elements, not {typeName}.");
        int[] shape = new int[ReadLength(reader, 16)];
        for (int i = 0; i < shape.Length; i++) shape[i] = reader.ReadInt32();
        double[] extra = new double[ReadLength(reader, 1 << 28)];
        for (int i = 0; i < extra.Length; i++) extra[i] = reader.ReadDouble();
        double[] state = new double[ReadLength(reader, 1 << 30)];
        for (int i = 0; i < state.Length; i++) state[i] = reader.ReadDouble();
        return (shape, extra, state);
    }

    private static int ReadLength(BinaryReader reader, int max)
    {
        int n = reader.ReadInt32();
        if (n < 0 || n > max) throw new InvalidDataException($"Corrupt accumulator stream (length {n}).");
        return n;
    }

    /// <summary>The count stored as a double in a flat state, back to an integer.</summary>
    public static long CountFrom(double value)
    {
        if (!(value >= 0) || value != Math.Floor(value) || value > (double)(1L << 53))
            throw new ArgumentException($"The state's sample count {value} is not a non-negative integer.");
        return (long)value;
    }

    public static void RequireStateLength(int got, int expected)
    {
        if (got != expected) throw new ArgumentException($"The state has {got} entries; this accumulator's StateLength is {expected}.");
    }

    /// <summary>Packs the upper triangle (i &lt;= j) of a square matrix stored with a row stride.</summary>
    public static void PackUpper(ReadOnlySpan<double> matrix, int stride, int n, Span<double> destination)
    {
        int p = 0;
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) destination[p++] = matrix[i * stride + j];
    }

    /// <summary>Adds a packed upper triangle into a square matrix stored with a row stride.</summary>
    public static void AddPackedUpper(ReadOnlySpan<double> packed, Span<double> matrix, int stride, int n)
    {
        int p = 0;
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) matrix[i * stride + j] += packed[p++];
    }

    public static void RequireFloatingType<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"The moment engine supports float and double samples, not {typeof(T).Name}.");
    }
}
