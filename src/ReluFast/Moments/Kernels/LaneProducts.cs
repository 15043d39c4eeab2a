using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// A row of a kernel's operand whose every entry is a product of two short vectors' entries, out[q] = x[ia(q)] y[ib(q)] (an
/// index of -1 reads 1), written in whole 512-bit vectors (aligned where the row is): each output vector is two two-register permutes of x and y
/// (VPERMT2PD/PS) and one multiply. This is how the projected 3-tensor builds its rows (c_l z_i) and columns (z_j z_k) when x
/// and y fit in two vectors: written segment by segment, those rows cost one unaligned, line-splitting store per segment.
/// </summary>
/// <remarks>Every entry is the one multiply it is on any other path, so the row is the same to the bit.</remarks>
internal sealed class LaneProducts<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly AlignedBuffer<T> _table; // per output vector: ia, ib (integer lanes), then the masks of the lanes that read 1
    private readonly int _vectors, _maskedVectors;

    /// <summary>Whether this machine has the permutes and both sources (count entries each) fit in two vectors.</summary>
    public static bool Fits(int xCount, int yCount) =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated && Math.Max(xCount, yCount) <= 2 * Vector512<T>.Count;

    /// <summary>A row of <paramref name="ia"/>.Length entries (a whole number of vectors) from the given indices.</summary>
    public LaneProducts(ReadOnlySpan<int> ia, ReadOnlySpan<int> ib)
    {
        int vl = Vector512<T>.Count;
        if (ia.Length != ib.Length || ia.Length % vl != 0) throw new ArgumentException("Index rows must be whole vectors of one length.");
        _vectors = ia.Length / vl;
        _table = new AlignedBuffer<T>(4 * ia.Length);
        Span<T> table = _table.Span;
        for (int t = 0; t < _vectors; t++)
            for (int lane = 0; lane < vl; lane++)
            {
                int q = t * vl + lane, at = 4 * t * vl + lane;
                if (ia[q] >= 2 * vl || ib[q] >= 2 * vl) throw new ArgumentOutOfRangeException(nameof(ia), "An index is past two vectors.");
                table[at] = Index(Math.Max(ia[q], 0));
                table[at + vl] = Index(Math.Max(ib[q], 0));
                table[at + 2 * vl] = ia[q] < 0 ? AllBits : T.Zero;
                table[at + 3 * vl] = ib[q] < 0 ? AllBits : T.Zero;
                if (ia[q] < 0 || ib[q] < 0) _maskedVectors = t + 1;
            }
    }

    private static T Index(int i) => typeof(T) == typeof(double) ? Unsafe.BitCast<long, T>(i) : Unsafe.BitCast<int, T>(i);

    private static T AllBits => typeof(T) == typeof(double) ? Unsafe.BitCast<long, T>(-1L) : Unsafe.BitCast<int, T>(-1);

    /// <summary>Writes the row to <paramref name="destination"/> (whole vectors): x = [xLow, xHigh], y = [yLow, yHigh].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(Vector512<T> xLow, Vector512<T> xHigh, Vector512<T> yLow, Vector512<T> yHigh, ref T destination)
    {
        int vl = Vector512<T>.Count, t = 0;
        ref T table = ref MemoryMarshal.GetReference(_table.Span);
        Vector512<T> one = Vector512<T>.One;
        for (; t < _maskedVectors; t++)
        {
            ref T entry = ref Unsafe.Add(ref table, 4 * t * vl);
            Vector512<T> a = Vector512.ConditionalSelect(Vector512.LoadUnsafe(ref entry, (nuint)(2 * vl)), one,
                Permute(xLow, Vector512.LoadUnsafe(ref entry), xHigh));
            Vector512<T> b = Vector512.ConditionalSelect(Vector512.LoadUnsafe(ref entry, (nuint)(3 * vl)), one,
                Permute(yLow, Vector512.LoadUnsafe(ref entry, (nuint)vl), yHigh));
            (a * b).StoreUnsafe(ref destination, (nuint)(t * vl));
        }
        for (; t < _vectors; t++)
        {
            ref T entry = ref Unsafe.Add(ref table, 4 * t * vl);
            Vector512<T> a = Permute(xLow, Vector512.LoadUnsafe(ref entry), xHigh);
            Vector512<T> b = Permute(yLow, Vector512.LoadUnsafe(ref entry, (nuint)vl), yHigh);
            (a * b).StoreUnsafe(ref destination, (nuint)(t * vl));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Permute(Vector512<T> low, Vector512<T> indices, Vector512<T> high)
    {
        if (typeof(T) == typeof(double))
            return Avx512F.PermuteVar8x64x2(low.AsDouble(), indices.AsInt64(), high.AsDouble()).As<double, T>();
        return Avx512F.PermuteVar16x32x2(low.AsSingle(), indices.AsInt32(), high.AsSingle()).As<float, T>();
    }
}
