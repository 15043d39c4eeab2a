using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The per-sample factor of the B side of <see cref="PrefixGemm"/>: C += A^T diag(w) B multiplies row k of B by w_k
/// as it is loaded, once per kernel step, so a weighted Gram matrix needs no scaled copy of its tile. An operator
/// struct in the style of TensorPrimitives: the JIT specialises each kernel for it and drops the unweighted case's
/// multiply and weight pointer.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal interface ISampleWeight<T>
{
    /// <summary>row * weight (512-bit).</summary>
    static abstract Vector512<T> Apply(Vector512<T> row, ref T weight);

    /// <summary>row * weight (256-bit).</summary>
    static abstract Vector256<T> Apply(Vector256<T> row, ref T weight);

    /// <summary>row * weight (scalar, in double).</summary>
    static abstract double Apply(double row, ref T weight);
}

/// <summary>C += A^T B: the weight reference is never read (it may be a null reference).</summary>
internal readonly struct Unweighted<T> : ISampleWeight<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply(Vector512<T> row, ref T weight) => row;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply(Vector256<T> row, ref T weight) => row;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(double row, ref T weight) => row;
}

/// <summary>C += A^T diag(w) B: row k of B times w_k.</summary>
internal readonly struct Weighted<T> : ISampleWeight<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Apply(Vector512<T> row, ref T weight) => row * weight;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Apply(Vector256<T> row, ref T weight) => row * weight;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(double row, ref T weight) => row * Value(ref weight);

    /// <summary>The weight in double (T is float or double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Value(ref T weight) =>
        typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref weight) : Unsafe.As<T, float>(ref weight);
}

/// <summary>
/// Whether a kernel also sums the weighted rows of B and the weights (<see cref="PrefixGemm.RunUpperTriangleWithSums{T}"/>): an operator
/// struct, so that the kernels without sums keep no accumulator and no branch for them.
/// </summary>
internal interface IRowSums
{
    /// <summary>Whether the sums are taken.</summary>
    static abstract bool On { get; }
}

/// <summary>The kernel sums the weighted rows of B and the weights.</summary>
internal readonly struct WithRowSums : IRowSums
{
    public static bool On => true;
}

/// <summary>The kernel computes its product only.</summary>
internal readonly struct NoRowSums : IRowSums
{
    public static bool On => false;
}

/// <summary>
/// Whether a kernel stores the weighted rows of B it loads, so that the kernels after it over the same columns read them instead of
/// multiplying each row by its weight again (<see cref="PrefixGemm.RunUpperTriangle{T}"/>).
/// </summary>
internal interface IKeptRows
{
    /// <summary>Whether the weighted rows are stored.</summary>
    static abstract bool On { get; }
}

/// <summary>The kernel stores each weighted row of B it loads.</summary>
internal readonly struct KeepRows : IKeptRows
{
    public static bool On => true;
}

/// <summary>The kernel stores nothing but its product.</summary>
internal readonly struct NoKeptRows : IKeptRows
{
    public static bool On => false;
}
