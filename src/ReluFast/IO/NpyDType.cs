namespace ReluFast.IO;

/// <summary>The element types ReluFast reads and writes in <c>.npy</c> files (always little-endian).</summary>
public enum NpyDType
{
    /// <summary>IEEE 754 single precision, NumPy descr <c>'&lt;f4'</c>.</summary>
    Float32,

    /// <summary>IEEE 754 double precision, NumPy descr <c>'&lt;f8'</c>.</summary>
    Float64,
}

/// <summary>Helpers for <see cref="NpyDType"/>.</summary>
internal static class NpyDTypeExtensions
{
    /// <summary>Bytes per element: 4 or 8.</summary>
    public static int ItemSize(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => 4,
        NpyDType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown NpyDType."),
    };

    /// <summary>The NumPy type descriptor: <c>&lt;f4</c> or <c>&lt;f8</c>.</summary>
    public static string Descr(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown NpyDType."),
    };

    /// <summary>The lower-case name used on the command line and in messages: <c>float32</c> or <c>float64</c>.</summary>
    public static string Name(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown NpyDType."),
    };

    /// <summary>The dtype matching the element type <typeparamref name="T"/> (<see cref="float"/> or <see cref="double"/>).</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static NpyDType For<T>()
    {
        if (typeof(T) == typeof(double)) return NpyDType.Float64;
        if (typeof(T) == typeof(float)) return NpyDType.Float32;
        throw new NotSupportedException($"ReluFast reads and writes float and double arrays, not {typeof(T).Name}.");
    }
}
