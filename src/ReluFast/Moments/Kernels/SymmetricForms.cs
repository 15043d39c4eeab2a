using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReluFast.Moments.Kernels;

/// <summary>
/// The quadratic forms f_k = sum_i x_ki (p_i + sum_(j &gt;= i) s_ij x_kj) of a block of samples x (n x m row-major), s the upper
/// triangle of a symmetric matrix packed row by row: the quadratic part of a control variate (docs/algorithm.md section 3) in
/// m (m + 1) / 2 + m multiply-adds a sample, where the matrix product and a row sum took m^2 + m and a reduction a sample.
/// </summary>
/// <remarks>
/// On the sample lanes (the layout of <see cref="SampleLaneTensor"/>: a step of VL samples as m vectors, one a feature) every lane
/// takes the same chain of FMAs as one sample on the scalar path: t_i = p_i, then t_i = fma(s_ij, x_j, t_i) for j = i .. m - 1,
/// and f = fma(x_i, t_i, f) for i = 0 .. m - 1 from f = 0. So every vector width gives the same bits. Four steps go at once (the
/// scalar path: four samples), transposed from the rows into a tile of the caller's first (<see cref="TileLength{T}"/>), steps an
/// odd number of vectors apart (a power-of-two stride ran at half the rate: the four loads of a feature fell in one cache set).
/// </remarks>
internal static class SymmetricForms
{
    private const int Steps = 4;

    /// <summary>Entries of the packed upper triangle of an m x m matrix.</summary>
    public static int PackedLength(int m) => m * (m + 1) / 2;

    /// <summary>Entries of the scratch tile <see cref="Run{T}"/> needs for dimension m.</summary>
    public static int TileLength<T>(int m) where T : unmanaged => TileSteps(m) * StepVectors(m) * Vector512<T>.Count;

    /// <summary>Vectors from one step to the next in the tile: m rounded up to odd.</summary>
    private static int StepVectors(int m) => m | 1;

    /// <summary>Steps a tile holds: about 32 KB of 512-bit vectors (in L1 while its groups read it), whole groups, 4 to 64.</summary>
    private static int TileSteps(int m) => Math.Clamp(32768 / (StepVectors(m) * 64), Steps, 64) / Steps * Steps;

    /// <summary>
    /// forms[k] = sum_i x_ki (linear_i + sum_(j &gt;= i) upper_ij x_kj) for the n = forms.Length samples of x, upper packed row by row
    /// (row i holds s_ii .. s_i(m-1)). <paramref name="tile"/> (<see cref="TileLength{T}"/>) is scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<T>(ReadOnlySpan<T> x, int m, ReadOnlySpan<T> linear, ReadOnlySpan<T> upper, Span<T> forms, Span<T> tile)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int n = forms.Length;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        if ((long)n * m != x.Length) throw new ArgumentException($"x has {x.Length} entries, not {n} samples of dimension {m}.", nameof(x));
        CheckCoefficients(m, linear, upper);
        if (tile.Length < TileLength<T>(m)) throw new ArgumentException("The scratch is too short.", nameof(tile));
        int width = Simd.WidthBits;
        if (width >= 512) Lanes<T, Lanes512<T>>(x, m, linear, upper, forms, tile);
        else if (width >= 256) Lanes<T, Lanes256<T>>(x, m, linear, upper, forms, tile);
        else
        {
            // one sample a lane: the rows are the steps
            WholeSteps<T, Lane1<T>>(ref MemoryMarshal.GetReference(x), m, n, m, ref MemoryMarshal.GetReference(linear),
                ref MemoryMarshal.GetReference(upper), ref MemoryMarshal.GetReference(forms));
        }
    }

    /// <summary>
    /// The forms of <paramref name="steps"/> steps already in the sample lanes' layout of 512-bit vectors (feature i at i VL in a step,
    /// steps <paramref name="stepLength"/> entries apart, <see cref="SampleLaneTensor"/>'s tile): forms[s VL + lane], the same
    /// chains as <see cref="Run{T}"/>, so the same bits for the same samples.
    /// </summary>
    public static void RunSteps<T>(ReadOnlySpan<T> tile, int stepLength, int steps, int m, ReadOnlySpan<T> linear, ReadOnlySpan<T> upper,
        Span<T> forms) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vl = Vector512<T>.Count;
        if (!Vector512.IsHardwareAccelerated) throw new InvalidOperationException("The sample lanes' layout needs 512-bit vectors.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m);
        CheckCoefficients(m, linear, upper);
        if (steps <= 0) return;
        if (stepLength < m * vl || tile.Length < (long)(steps - 1) * stepLength + m * vl || forms.Length < steps * vl)
            throw new ArgumentException("The tile or the forms are too short for the steps.");
        WholeSteps<T, Lanes512<T>>(ref MemoryMarshal.GetReference(tile), stepLength, steps, m, ref MemoryMarshal.GetReference(linear),
            ref MemoryMarshal.GetReference(upper), ref MemoryMarshal.GetReference(forms));
    }

    private static void CheckCoefficients<T>(int m, ReadOnlySpan<T> linear, ReadOnlySpan<T> upper)
    {
        if (linear.Length != m || upper.Length != PackedLength(m)) throw new ArgumentException("The coefficients do not match m.");
    }

    /// <summary>Whole steps <paramref name="step"/> apart, their forms to f (one vector a step): groups of four, then one at a time.</summary>
    private static void WholeSteps<T, TV>(ref T t, nint step, int steps, int m, ref T p, ref T s, ref T f)
        where T : unmanaged where TV : struct, ILaneVector<TV, T>
    {
        nint vl = TV.Count;
        int s0 = 0;
        for (; s0 + Steps <= steps; s0 += Steps)
            Group<T, TV>(ref Unsafe.Add(ref t, s0 * step), step, m, ref p, ref s, ref Unsafe.Add(ref f, s0 * vl));
        for (; s0 < steps; s0++) One<T, TV>(ref Unsafe.Add(ref t, s0 * step), m, ref p, ref s, ref Unsafe.Add(ref f, s0 * vl));
    }

    private static void Lanes<T, TV>(ReadOnlySpan<T> x, int m, ReadOnlySpan<T> linear, ReadOnlySpan<T> upper, Span<T> forms, Span<T> tile)
        where T : unmanaged, IBinaryFloatingPointIeee754<T> where TV : struct, ILaneVector<TV, T>
    {
        int n = forms.Length, vl = TV.Count, step = StepVectors(m) * vl, tileSamples = TileSteps(m) * vl;
        ref T t = ref MemoryMarshal.GetReference(tile), p = ref MemoryMarshal.GetReference(linear), s = ref MemoryMarshal.GetReference(upper);
        Span<T> last = stackalloc T[Vector512<T>.Count];
        for (int k0 = 0; k0 < n; k0 += tileSamples)
        {
            int nt = Math.Min(tileSamples, n - k0), whole = nt / vl, k = whole * vl;
            ReadOnlySpan<T> rows = x.Slice(k0 * m, nt * m);
            if (vl == Vector512<T>.Count) LaneTranspose.Run(rows, m, nt, tile, step);
            else LaneTranspose.Run256(rows, m, nt, tile, step);
            WholeSteps<T, TV>(ref t, step, whole, m, ref p, ref s, ref forms[k0]);
            if (k == nt) continue;
            // a partial last step: its lanes past the samples are zeros, their forms not wanted
            One<T, TV>(ref Unsafe.Add(ref t, (nint)whole * step), m, ref p, ref s, ref MemoryMarshal.GetReference(last));
            last[..(nt - k)].CopyTo(forms[(k0 + k)..]);
        }
    }

    /// <summary>
    /// Four steps <paramref name="step"/> apart (feature i at i VL in a step): their forms to f, one vector a step. Rows i .. i + 3
    /// of the triangle go together, each loaded x_j feeding four chains (16 in flight; one row at a time took a load a multiply-add
    /// and ran at half the pipes' rate), every chain still over j ascending: row i takes j = i alone, then i + 1 with row i + 1, and
    /// so on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Group<T, TV>(ref T x, nint step, int m, ref T linear, ref T upper, ref T f)
        where T : unmanaged where TV : struct, ILaneVector<TV, T>
    {
        nint vl = TV.Count, s2 = 2 * step, s3 = 3 * step;
        TV f0 = default, f1 = default, f2 = default, f3 = default;
        ref T r0 = ref upper;
        int i = 0;
        for (; i + 4 <= m; i += 4)
        {
            ref T r1 = ref Unsafe.Add(ref r0, m - i);
            ref T r2 = ref Unsafe.Add(ref r1, m - i - 1);
            ref T r3 = ref Unsafe.Add(ref r2, m - i - 2);
            TV a0 = TV.Broadcast(Unsafe.Add(ref linear, i)), a1 = a0, a2 = a0, a3 = a0;
            TV b0 = TV.Broadcast(Unsafe.Add(ref linear, i + 1)), b1 = b0, b2 = b0, b3 = b0;
            TV c0 = TV.Broadcast(Unsafe.Add(ref linear, i + 2)), c1 = c0, c2 = c0, c3 = c0;
            TV d0 = TV.Broadcast(Unsafe.Add(ref linear, i + 3)), d1 = d0, d2 = d0, d3 = d0;
            ref T xi = ref Unsafe.Add(ref x, i * vl);
            // j = i: row i; j = i + 1: rows i, i + 1; j = i + 2: rows i .. i + 2
            TV s = TV.Broadcast(r0);
            a0 = TV.Fma(s, TV.Load(ref xi, 0), a0);
            a1 = TV.Fma(s, TV.Load(ref xi, step), a1);
            a2 = TV.Fma(s, TV.Load(ref xi, s2), a2);
            a3 = TV.Fma(s, TV.Load(ref xi, s3), a3);
            ref T xj = ref Unsafe.Add(ref xi, vl);
            TV sa = TV.Broadcast(Unsafe.Add(ref r0, 1)), sb = TV.Broadcast(r1), v;
            v = TV.Load(ref xj, 0); a0 = TV.Fma(sa, v, a0); b0 = TV.Fma(sb, v, b0);
            v = TV.Load(ref xj, step); a1 = TV.Fma(sa, v, a1); b1 = TV.Fma(sb, v, b1);
            v = TV.Load(ref xj, s2); a2 = TV.Fma(sa, v, a2); b2 = TV.Fma(sb, v, b2);
            v = TV.Load(ref xj, s3); a3 = TV.Fma(sa, v, a3); b3 = TV.Fma(sb, v, b3);
            xj = ref Unsafe.Add(ref xj, vl);
            sa = TV.Broadcast(Unsafe.Add(ref r0, 2));
            sb = TV.Broadcast(Unsafe.Add(ref r1, 1));
            TV sc = TV.Broadcast(r2);
            v = TV.Load(ref xj, 0); a0 = TV.Fma(sa, v, a0); b0 = TV.Fma(sb, v, b0); c0 = TV.Fma(sc, v, c0);
            v = TV.Load(ref xj, step); a1 = TV.Fma(sa, v, a1); b1 = TV.Fma(sb, v, b1); c1 = TV.Fma(sc, v, c1);
            v = TV.Load(ref xj, s2); a2 = TV.Fma(sa, v, a2); b2 = TV.Fma(sb, v, b2); c2 = TV.Fma(sc, v, c2);
            v = TV.Load(ref xj, s3); a3 = TV.Fma(sa, v, a3); b3 = TV.Fma(sb, v, b3); c3 = TV.Fma(sc, v, c3);
            xj = ref Unsafe.Add(ref xj, vl);
            for (int k = 3; k < m - i; k++)
            {
                sa = TV.Broadcast(Unsafe.Add(ref r0, k));
                sb = TV.Broadcast(Unsafe.Add(ref r1, k - 1));
                sc = TV.Broadcast(Unsafe.Add(ref r2, k - 2));
                TV sd = TV.Broadcast(Unsafe.Add(ref r3, k - 3));
                v = TV.Load(ref xj, 0); a0 = TV.Fma(sa, v, a0); b0 = TV.Fma(sb, v, b0); c0 = TV.Fma(sc, v, c0); d0 = TV.Fma(sd, v, d0);
                v = TV.Load(ref xj, step); a1 = TV.Fma(sa, v, a1); b1 = TV.Fma(sb, v, b1); c1 = TV.Fma(sc, v, c1); d1 = TV.Fma(sd, v, d1);
                v = TV.Load(ref xj, s2); a2 = TV.Fma(sa, v, a2); b2 = TV.Fma(sb, v, b2); c2 = TV.Fma(sc, v, c2); d2 = TV.Fma(sd, v, d2);
                v = TV.Load(ref xj, s3); a3 = TV.Fma(sa, v, a3); b3 = TV.Fma(sb, v, b3); c3 = TV.Fma(sc, v, c3); d3 = TV.Fma(sd, v, d3);
                xj = ref Unsafe.Add(ref xj, vl);
            }
            // f over i ascending: rows i .. i + 3 in turn
            f0 = TV.Fma(TV.Load(ref xi, 0), a0, f0);
            f1 = TV.Fma(TV.Load(ref xi, step), a1, f1);
            f2 = TV.Fma(TV.Load(ref xi, s2), a2, f2);
            f3 = TV.Fma(TV.Load(ref xi, s3), a3, f3);
            xi = ref Unsafe.Add(ref xi, vl);
            f0 = TV.Fma(TV.Load(ref xi, 0), b0, f0);
            f1 = TV.Fma(TV.Load(ref xi, step), b1, f1);
            f2 = TV.Fma(TV.Load(ref xi, s2), b2, f2);
            f3 = TV.Fma(TV.Load(ref xi, s3), b3, f3);
            xi = ref Unsafe.Add(ref xi, vl);
            f0 = TV.Fma(TV.Load(ref xi, 0), c0, f0);
            f1 = TV.Fma(TV.Load(ref xi, step), c1, f1);
            f2 = TV.Fma(TV.Load(ref xi, s2), c2, f2);
            f3 = TV.Fma(TV.Load(ref xi, s3), c3, f3);
            xi = ref Unsafe.Add(ref xi, vl);
            f0 = TV.Fma(TV.Load(ref xi, 0), d0, f0);
            f1 = TV.Fma(TV.Load(ref xi, step), d1, f1);
            f2 = TV.Fma(TV.Load(ref xi, s2), d2, f2);
            f3 = TV.Fma(TV.Load(ref xi, s3), d3, f3);
            r0 = ref Unsafe.Add(ref r3, m - i - 3);
        }
        for (; i < m; i++)
        {
            TV a0 = TV.Broadcast(Unsafe.Add(ref linear, i)), a1 = a0, a2 = a0, a3 = a0;
            ref T xj = ref Unsafe.Add(ref x, i * vl);
            for (int k = 0; k < m - i; k++)
            {
                TV s = TV.Broadcast(Unsafe.Add(ref r0, k));
                a0 = TV.Fma(s, TV.Load(ref xj, 0), a0);
                a1 = TV.Fma(s, TV.Load(ref xj, step), a1);
                a2 = TV.Fma(s, TV.Load(ref xj, s2), a2);
                a3 = TV.Fma(s, TV.Load(ref xj, s3), a3);
                xj = ref Unsafe.Add(ref xj, vl);
            }
            ref T xi = ref Unsafe.Add(ref x, i * vl);
            f0 = TV.Fma(TV.Load(ref xi, 0), a0, f0);
            f1 = TV.Fma(TV.Load(ref xi, step), a1, f1);
            f2 = TV.Fma(TV.Load(ref xi, s2), a2, f2);
            f3 = TV.Fma(TV.Load(ref xi, s3), a3, f3);
            r0 = ref Unsafe.Add(ref r0, m - i);
        }
        TV.Store(f0, ref f, 0);
        TV.Store(f1, ref f, vl);
        TV.Store(f2, ref f, 2 * vl);
        TV.Store(f3, ref f, 3 * vl);
    }

    /// <summary>One step's forms: the chains of <see cref="Group{T, TV}"/> for one vector, a row at a time.</summary>
    private static void One<T, TV>(ref T x, int m, ref T linear, ref T upper, ref T f) where T : unmanaged where TV : struct, ILaneVector<TV, T>
    {
        nint vl = TV.Count;
        TV sum = default;
        ref T row = ref upper;
        for (int i = 0; i < m; i++)
        {
            TV t = TV.Broadcast(Unsafe.Add(ref linear, i));
            for (int j = i; j < m; j++) t = TV.Fma(TV.Broadcast(Unsafe.Add(ref row, j - i)), TV.Load(ref x, j * vl), t);
            row = ref Unsafe.Add(ref row, m - i);
            sum = TV.Fma(TV.Load(ref x, i * vl), t, sum);
        }
        TV.Store(sum, ref f, 0);
    }
}

/// <summary>
/// One vector width of a sample-lane kernel written once over the widths (<see cref="SymmetricForms"/>), as TensorPrimitives writes
/// its operators once: a 512-bit or 256-bit vector of T, or one T. Fma rounds once on every width.
/// </summary>
internal interface ILaneVector<TSelf, T> where TSelf : struct, ILaneVector<TSelf, T> where T : unmanaged
{
    static abstract int Count { get; }

    static abstract TSelf Broadcast(T value);

    static abstract TSelf Load(ref T source, nint offset);

    static abstract void Store(TSelf value, ref T destination, nint offset);

    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);
}

internal readonly struct Lanes512<T>(Vector512<T> value) : ILaneVector<Lanes512<T>, T> where T : unmanaged
{
    private readonly Vector512<T> _value = value;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Broadcast(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Load(ref T source, nint offset) => new(Vector512.LoadUnsafe(ref source, (nuint)offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512<T> value, ref T destination, nint offset) => value._value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512<T> Fma(Lanes512<T> a, Lanes512<T> b, Lanes512<T> c) => new(Simd.Fma(a._value, b._value, c._value));
}

internal readonly struct Lanes256<T>(Vector256<T> value) : ILaneVector<Lanes256<T>, T> where T : unmanaged
{
    private readonly Vector256<T> _value = value;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Broadcast(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Load(ref T source, nint offset) => new(Vector256.LoadUnsafe(ref source, (nuint)offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256<T> value, ref T destination, nint offset) => value._value.StoreUnsafe(ref destination, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256<T> Fma(Lanes256<T> a, Lanes256<T> b, Lanes256<T> c) => new(Simd.Fma(a._value, b._value, c._value));
}

internal readonly struct Lane1<T>(T value) : ILaneVector<Lane1<T>, T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T _value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1<T> Broadcast(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1<T> Load(ref T source, nint offset) => new(Unsafe.Add(ref source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane1<T> value, ref T destination, nint offset) => Unsafe.Add(ref destination, offset) = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1<T> Fma(Lane1<T> a, Lane1<T> b, Lane1<T> c) => new(T.FusedMultiplyAdd(a._value, b._value, c._value));
}
