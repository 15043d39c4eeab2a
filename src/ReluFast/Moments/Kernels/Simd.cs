using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// Which vector width the kernels use, and the small generic helpers they share. The kernels are written
/// over <see cref="Vector512{T}"/> and <see cref="Vector256{T}"/> with a scalar fallback, like
/// System.Numerics.Tensors.TensorPrimitives; the JIT specialises every helper for float and double and
/// removes the type tests.
/// </summary>
internal static class Simd
{
    // Held per execution context, not per process: a forced width reaches the threads that the forcing code starts (SamplePass's
    // threads and Parallel.For capture the context) and nothing else, so code running beside it (another test, another learner
    // in the same process) keeps the hardware's width and its bits.
    private static readonly AsyncLocal<int> s_forcedWidthBits = new();

    /// <summary>
    /// Tests set this to 256 or 64 to exercise the narrower paths on wide hardware; 0 means "use the hardware". The setting holds for
    /// the calling flow of execution and the threads it starts, not for other threads of the process.
    /// </summary>
    internal static int ForcedWidthBits
    {
        get => s_forcedWidthBits.Value;
        set => s_forcedWidthBits.Value = value;
    }

    /// <summary>512, 256 or 64 (scalar): the path the kernels take.</summary>
    public static int WidthBits
    {
        get
        {
            int forced = ForcedWidthBits;
            if (Vector512.IsHardwareAccelerated && (forced == 0 || forced >= 512)) return 512;
            if (Vector256.IsHardwareAccelerated && (forced == 0 || forced >= 256)) return 256;
            return 64;
        }
    }

    /// <summary>The unit every padded row stride is a multiple of: one 512-bit vector of T.</summary>
    public static int PadUnit<T>() => Vector512<T>.Count;

    public static int RoundUp(int value, int unit) => (value + unit - 1) / unit * unit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(double))
            return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        if (typeof(T) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return a * b + c;
    }

    /// <summary>c[0 .. Vector512&lt;T&gt;.Count) += v, widening float lanes to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddTo<T>(Vector512<T> v, ref double c)
    {
        if (typeof(T) == typeof(double))
        {
            (Vector512.LoadUnsafe(ref c) + v.AsDouble()).StoreUnsafe(ref c);
        }
        else
        {
            (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(v.AsSingle());
            (Vector512.LoadUnsafe(ref c) + lo).StoreUnsafe(ref c);
            (Vector512.LoadUnsafe(ref c, 8) + hi).StoreUnsafe(ref c, 8);
        }
    }

    /// <summary>c[0 .. Vector256&lt;T&gt;.Count) += v, widening float lanes to double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddTo<T>(Vector256<T> v, ref double c)
    {
        if (typeof(T) == typeof(double))
        {
            (Vector256.LoadUnsafe(ref c) + v.AsDouble()).StoreUnsafe(ref c);
        }
        else
        {
            (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(v.AsSingle());
            (Vector256.LoadUnsafe(ref c) + lo).StoreUnsafe(ref c);
            (Vector256.LoadUnsafe(ref c, 4) + hi).StoreUnsafe(ref c, 4);
        }
    }

    /// <summary>Adds a T span into a double span element by element (partial sums into totals).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddTo<T>(ReadOnlySpan<T> source, Span<double> destination) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (source.Length > destination.Length) throw new ArgumentException("Destination too short.", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] += double.CreateTruncating(source[i]);
    }

    /// <summary>
    /// to[0..count) = s from[0..count) in whole vectors of the given width (both sides readable and writable one vector past count):
    /// the row builders of the projected 3-tensor and of the span pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleInto<T>(int width, ref T from, int count, T s, ref T to) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (width >= 512)
        {
            var sv = Vector512.Create(s);
            for (; i < count; i += Vector512<T>.Count) (Vector512.LoadUnsafe(ref from, (nuint)i) * sv).StoreUnsafe(ref to, (nuint)i);
        }
        else if (width >= 256)
        {
            var sv = Vector256.Create(s);
            for (; i < count; i += Vector256<T>.Count) (Vector256.LoadUnsafe(ref from, (nuint)i) * sv).StoreUnsafe(ref to, (nuint)i);
        }
        else
        {
            for (; i < count; i++) Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i) * s;
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> rows of <paramref name="length"/> entries (row-major, contiguous) into rows of stride
    /// <paramref name="toStride"/>, leaving what lies past each row's length untouched (a tile's zero padding): whole 512-, 256- and
    /// 128-bit vectors, then single entries. A copy call per row (Span.CopyTo) cost about as much as the Gram kernel itself at d = 8
    /// to 16.
    /// </summary>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public static void CopyRows<T>(ReadOnlySpan<T> from, int length, int count, Span<T> to, int toStride) where T : unmanaged
    {
        if (count <= 0 || length <= 0) return;
        if (from.Length < (long)count * length) throw new ArgumentException("The rows are too short.", nameof(from));
        if (toStride < length || to.Length < (long)(count - 1) * toStride + length)
            throw new ArgumentException("The destination is too short.", nameof(to));
        ref T f = ref MemoryMarshal.GetReference(from);
        ref T t = ref MemoryMarshal.GetReference(to);
        for (int k = 0; k < count; k++, f = ref Unsafe.Add(ref f, length), t = ref Unsafe.Add(ref t, toStride))
        {
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i + Vector512<T>.Count <= length; i += Vector512<T>.Count)
                    Vector512.LoadUnsafe(ref f, (nuint)i).StoreUnsafe(ref t, (nuint)i);
            if (Vector256.IsHardwareAccelerated)
                for (; i + Vector256<T>.Count <= length; i += Vector256<T>.Count)
                    Vector256.LoadUnsafe(ref f, (nuint)i).StoreUnsafe(ref t, (nuint)i);
            if (Vector128.IsHardwareAccelerated)
                for (; i + Vector128<T>.Count <= length; i += Vector128<T>.Count)
                    Vector128.LoadUnsafe(ref f, (nuint)i).StoreUnsafe(ref t, (nuint)i);
            for (; i < length; i++) Unsafe.Add(ref t, i) = Unsafe.Add(ref f, i);
        }
    }
}
