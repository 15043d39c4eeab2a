using ILGPU;
using ReluFast.Sampling;

namespace ReluFast.Gpu;

/// <summary>Shape of a <see cref="GpuKernels.PairProducts"/> launch.</summary>
/// <param name="Dimension">Columns d of the inputs x (x' = (x, 1) has d + 1).</param>
/// <param name="Samples">Samples n in the block.</param>
/// <param name="Rows">Rows (q, a, b) of the product.</param>
/// <param name="RowTiles">Tiles of <see cref="GpuKernels.PairRows"/> rows.</param>
/// <param name="ColumnTiles">Tiles of <see cref="GpuKernels.PairColumns"/> columns of x'.</param>
/// <param name="Segments">Sample segments S.</param>
/// <param name="WeightStride">Distance between the weight rows.</param>
/// <param name="Accumulate">1: add the sums to partial (one segment) rather than write them.</param>
internal readonly record struct PairShape(int Dimension, int Samples, int Rows, int RowTiles, int ColumnTiles, int Segments, int WeightStride,
    int Accumulate);

/// <summary>Shape of a <see cref="GpuKernels.HermiteTiles"/> launch.</summary>
/// <param name="Dimension">Columns of the inputs.</param>
/// <param name="Samples">Samples n in the block.</param>
/// <param name="Directions">Directions (neurons) m, the columns of the Dimension x m matrix V.</param>
/// <param name="MaxOrder">Highest Hermite order K (at most 5).</param>
/// <param name="Segments">Sample segments S.</param>
/// <param name="DirectionTiles">Tiles of <see cref="GpuKernels.HermiteDirections"/> directions.</param>
/// <param name="Accumulate">1: add the sums to partial (one segment) rather than write them.</param>
internal readonly record struct HermiteShape(int Dimension, int Samples, int Directions, int MaxOrder, int Segments, int DirectionTiles,
    int Accumulate);

/// <summary>Shape of a <see cref="GpuKernels.TeacherSamples"/> launch: samples [Start, Start + n) of a teacher stream.</summary>
internal readonly record struct TeacherShape(int Dimension, int Hidden, long Start, ulong InputOrigin, ulong NoiseOrigin,
    double NoiseStd, double LinearBias, int HasLinear);

/// <summary>
/// The ILGPU kernels of the GPU moment engine. Every sum is formed in double, by one thread per tile cell or work item
/// and sample segment, over the samples of its segment in order;
/// <see cref="ReduceSegments"/> then adds the segments in order, so a block's sums do not depend on scheduling. The same
/// kernels run on CUDA and on ILGPU's CPU accelerator (the tests).
/// </summary>
internal static class GpuKernels
{
    /// <summary>Rows of a <see cref="PairProducts"/> tile.</summary>
    public const int PairRows = 64;

    /// <summary>Columns of a <see cref="PairProducts"/> tile.</summary>
    public const int PairColumns = 48;

    /// <summary>Samples a <see cref="PairProducts"/> group stages at a time.</summary>
    public const int PairDepth = 16;

    // each thread of a group owns micro-tiles of 4 rows x 3 columns (columns c, c + 16, c + 32): 16 x 16 of them per tile
    private const int MicroTiles = 256;

    /// <summary>
    /// partial[(s R + r) (d + 1) + c] = sum over the samples k of segment s of (w[q stride + k] x'[k, a] x'[k, b]) x'[k, c]
    /// for row r = (q, a, b) (rows[3r .. 3r + 2]) and x' = (x, 1) (index d is the constant 1): the sums of monomials of
    /// degree at most 3 as the product of the pair products (R x n) with x' (n x (d + 1)). Group g computes tile
    /// (g mod RowTiles, (g / RowTiles) mod ColumnTiles) of segment g / (RowTiles ColumnTiles), or nothing where
    /// needed[tile] is 0 (tiles none of whose sums the state uses); PairDepth samples at a time, the tile's columns of x'
    /// and its pair products staged in shared memory. The tile's sums stay in shared memory, each owned by one thread
    /// (4 x 3 of them in registers while it adds the staged samples), so any group size works (the CPU accelerator's
    /// groups are small) and every sum adds its segment's samples in order.
    /// </summary>
    public static void PairProducts(ArrayView<double> x, ArrayView<double> w, ArrayView<int> rows, ArrayView<int> needed,
        ArrayView<double> partial, PairShape s)
    {
        var columns = SharedMemory.Allocate<double>(PairDepth * PairColumns); // x'[k, c0 + c], zero beyond d + 1
        var pairs = SharedMemory.Allocate<double>(PairRows * PairDepth);
        var sums = SharedMemory.Allocate<double>(PairRows * PairColumns);
        int group = Grid.IdxX, thread = Group.IdxX, threads = Group.DimX;
        int tiles = s.RowTiles * s.ColumnTiles, tile = group % tiles, segment = group / tiles;
        if (needed[tile] == 0) return; // the whole group: before any barrier
        int rowTile = tile % s.RowTiles, columnTile = tile / s.RowTiles;
        int r0 = rowTile * PairRows, c0 = columnTile * PairColumns, d = s.Dimension, width = d + 1;
        long first = (long)s.Samples * segment / s.Segments, last = (long)s.Samples * (segment + 1) / s.Segments;
        for (int e = thread; e < PairRows * PairColumns; e += threads) sums[e] = 0;
        for (long k0 = first; k0 < last; k0 += PairDepth)
        {
            int count = (int)Math.Min(PairDepth, last - k0);
            Group.Barrier();
            for (int e = thread; e < PairDepth * PairColumns; e += threads)
            {
                int k = e / PairColumns, c = c0 + e - k * PairColumns;
                columns[e] = k >= count || c > d ? 0 : c == d ? 1 : x[(k0 + k) * d + c];
            }
            // consecutive threads take consecutive rows of one sample: (a, b) of neighbouring rows are neighbours in x
            for (int e = thread; e < PairRows * PairDepth; e += threads)
            {
                int k = e / PairRows, r = e - k * PairRows, row = r0 + r;
                double p = 0;
                if (row < s.Rows && k < count)
                {
                    int a = rows[3 * row + 1], b = rows[3 * row + 2];
                    long sample = (k0 + k) * d;
                    p = w[(long)rows[3 * row] * s.WeightStride + k0 + k];
                    if (a < d) p *= x[sample + a];
                    if (b < d) p *= x[sample + b];
                }
                pairs[r * PairDepth + k] = p;
            }
            Group.Barrier();
            for (int t = thread; t < MicroTiles; t += threads)
            {
                int rg = t / 16, cg = t - rg * 16;
                int a0 = rg * 4 * PairDepth, s0 = rg * 4 * PairColumns + cg;
                double c00 = sums[s0], c01 = sums[s0 + 16], c02 = sums[s0 + 32];
                double c10 = sums[s0 + PairColumns], c11 = sums[s0 + PairColumns + 16], c12 = sums[s0 + PairColumns + 32];
                double c20 = sums[s0 + 2 * PairColumns], c21 = sums[s0 + 2 * PairColumns + 16], c22 = sums[s0 + 2 * PairColumns + 32];
                double c30 = sums[s0 + 3 * PairColumns], c31 = sums[s0 + 3 * PairColumns + 16], c32 = sums[s0 + 3 * PairColumns + 32];
                for (int k = 0; k < PairDepth; k++)
                {
                    double p0 = pairs[a0 + k], p1 = pairs[a0 + PairDepth + k], p2 = pairs[a0 + 2 * PairDepth + k];
                    double p3 = pairs[a0 + 3 * PairDepth + k];
                    int zr = k * PairColumns + cg;
                    double b0 = columns[zr], b1 = columns[zr + 16], b2 = columns[zr + 32];
                    c00 += p0 * b0; c01 += p0 * b1; c02 += p0 * b2;
                    c10 += p1 * b0; c11 += p1 * b1; c12 += p1 * b2;
                    c20 += p2 * b0; c21 += p2 * b1; c22 += p2 * b2;
                    c30 += p3 * b0; c31 += p3 * b1; c32 += p3 * b2;
                }
                sums[s0] = c00; sums[s0 + 16] = c01; sums[s0 + 32] = c02;
                sums[s0 + PairColumns] = c10; sums[s0 + PairColumns + 16] = c11; sums[s0 + PairColumns + 32] = c12;
                sums[s0 + 2 * PairColumns] = c20; sums[s0 + 2 * PairColumns + 16] = c21; sums[s0 + 2 * PairColumns + 32] = c22;
                sums[s0 + 3 * PairColumns] = c30; sums[s0 + 3 * PairColumns + 16] = c31; sums[s0 + 3 * PairColumns + 32] = c32;
            }
        }
        Group.Barrier();
        for (int e = thread; e < PairRows * PairColumns; e += threads)
        {
            int r = e / PairColumns, c = e - r * PairColumns, row = r0 + r, column = c0 + c;
            if (row >= s.Rows || column >= width) continue;
            long index = ((long)segment * s.Rows + row) * width + column;
            partial[index] = s.Accumulate != 0 ? partial[index] + sums[e] : sums[e];
        }
    }

    /// <summary>Directions of a <see cref="HermiteTiles"/> tile.</summary>
    public const int HermiteDirections = 64;

    // a tile's work items: direction i (64) x sample slot (4); slot s takes samples s, s + 4, s + 8, s + 12 of a staged depth
    private const int HermiteSlots = 4, HermiteItems = HermiteDirections * HermiteSlots, HermiteDepth = 16, HermiteColumns = 128;

    /// <summary>
    /// partial[(s (K + 1) + k) m + i] = sum over the samples j of segment s of r_j He_k(&lt;v_i, x_j&gt;), k = 0..K
    /// (probabilists' Hermite polynomials by He_{k+1} = u He_k - k He_{k-1}); v (Dimension x m row-major) holds v_i in
    /// column i. Group g takes directions [64 t, 64 t + 64) of tile t = g mod DirectionTiles over segment
    /// g / DirectionTiles, 16 samples at a time staged in shared memory 128 columns at a time; each work item (a direction
    /// and one of 4 sample slots) forms &lt;v_i, x_j&gt; for its 4 samples of the staged 16 with one read of v_i per 4
    /// multiply-adds (one thread per direction read x and v once per multiply-add), and adds its own Hermite sums, which
    /// the 4 slots then add in order: any group size works and the sums do not depend on scheduling.
    /// </summary>
    public static void HermiteTiles(ArrayView<double> x, ArrayView<double> r, ArrayView<double> v, ArrayView<double> partial, HermiteShape s)
    {
        var staged = SharedMemory.Allocate<double>(HermiteDepth * HermiteColumns);
        var projections = SharedMemory.Allocate<double>(HermiteItems * 4);
        var sums = SharedMemory.Allocate<double>(6 * HermiteItems); // order k of item t at k HermiteItems + t
        var weights = SharedMemory.Allocate<double>(HermiteDepth);
        int group = Grid.IdxX, thread = Group.IdxX, threads = Group.DimX;
        int tile = group % s.DirectionTiles, segment = group / s.DirectionTiles;
        int i0 = tile * HermiteDirections, d = s.Dimension, m = s.Directions;
        long first = (long)s.Samples * segment / s.Segments, last = (long)s.Samples * (segment + 1) / s.Segments;
        for (int e = thread; e < 6 * HermiteItems; e += threads) sums[e] = 0;
        for (long k0 = first; k0 < last; k0 += HermiteDepth)
        {
            int count = (int)Math.Min(HermiteDepth, last - k0);
            Group.Barrier();
            for (int e = thread; e < HermiteDepth; e += threads) weights[e] = e < count ? r[k0 + e] : 0;
            for (int e = thread; e < HermiteItems * 4; e += threads) projections[e] = 0;
            for (int c0 = 0; c0 < d; c0 += HermiteColumns)
            {
                int columns = Math.Min(HermiteColumns, d - c0);
                Group.Barrier();
                for (int e = thread; e < HermiteDepth * HermiteColumns; e += threads)
                {
                    int k = e / HermiteColumns, c = e - k * HermiteColumns;
                    staged[e] = k < count && c < columns ? x[(k0 + k) * d + c0 + c] : 0;
                }
                Group.Barrier();
                for (int t = thread; t < HermiteItems; t += threads)
                {
                    int slot = t / HermiteDirections, i = i0 + t - slot * HermiteDirections;
                    if (i >= m) continue;
                    double u0 = projections[4 * t], u1 = projections[4 * t + 1], u2 = projections[4 * t + 2], u3 = projections[4 * t + 3];
                    int x0 = slot * HermiteColumns;
                    for (int c = 0; c < columns; c++)
                    {
                        double vi = v[(long)(c0 + c) * m + i];
                        u0 += staged[x0 + c] * vi;
                        u1 += staged[x0 + 4 * HermiteColumns + c] * vi;
                        u2 += staged[x0 + 8 * HermiteColumns + c] * vi;
                        u3 += staged[x0 + 12 * HermiteColumns + c] * vi;
                    }
                    projections[4 * t] = u0; projections[4 * t + 1] = u1; projections[4 * t + 2] = u2; projections[4 * t + 3] = u3;
                }
            }
            // each item's own projections and sums: no barrier before the next depth's first one
            for (int t = thread; t < HermiteItems; t += threads)
            {
                int slot = t / HermiteDirections, i = i0 + t - slot * HermiteDirections;
                if (i >= m) continue;
                double h0 = sums[t], h1 = sums[HermiteItems + t], h2 = sums[2 * HermiteItems + t];
                double h3 = sums[3 * HermiteItems + t], h4 = sums[4 * HermiteItems + t], h5 = sums[5 * HermiteItems + t];
                for (int j = 0; j < 4; j++)
                {
                    double u = projections[4 * t + j], weight = weights[slot + 4 * j];
                    // g_k = r He_k(u), built up by the recurrence (ALGORITHM.md section 2); a weight of 0 adds nothing
                    double previous = weight, current = weight * u;
                    h0 += previous;
                    if (s.MaxOrder >= 1) h1 += current;
                    for (int order = 1; order < s.MaxOrder; order++)
                    {
                        double next = u * current - order * previous;
                        previous = current;
                        current = next;
                        if (order == 1) h2 += next;
                        else if (order == 2) h3 += next;
                        else if (order == 3) h4 += next;
                        else h5 += next;
                    }
                }
                sums[t] = h0; sums[HermiteItems + t] = h1; sums[2 * HermiteItems + t] = h2;
                sums[3 * HermiteItems + t] = h3; sums[4 * HermiteItems + t] = h4; sums[5 * HermiteItems + t] = h5;
            }
        }
        Group.Barrier();
        for (int e = thread; e < HermiteDirections * (s.MaxOrder + 1); e += threads)
        {
            int order = e / HermiteDirections, local = e - order * HermiteDirections, i = i0 + local;
            if (i >= m) continue;
            double total = 0;
            for (int slot = 0; slot < HermiteSlots; slot++) total += sums[order * HermiteItems + slot * HermiteDirections + local];
            long index = ((long)segment * (s.MaxOrder + 1) + order) * m + i;
            partial[index] = s.Accumulate != 0 ? partial[index] + total : total;
        }
    }

    /// <summary>sums[o] += partial[o] + partial[outputs + o] + ... (segments in order).</summary>
    public static void ReduceSegments(Index1D o, ArrayView<double> partial, ArrayView<double> sums, int outputs, int segments)
    {
        double total = 0;
        for (int s = 0; s < segments; s++) total += partial[(long)s * outputs + o];
        sums[o] += total;
    }

    /// <summary>
    /// Sample Start + k of a teacher stream into row k of x and y[k]: the normals of <see cref="CounterGaussian"/>
    /// (counter-based, so any range on any device gives the same stream) and y = f(x) + s e. net holds W (m x d
    /// row-major), b (m), a (m) and the linear part c (d).
    /// </summary>
    public static void TeacherSamples(Index1D k, ArrayView<double> x, ArrayView<double> y, ArrayView<double> net, TeacherShape s)
    {
        int d = s.Dimension, m = s.Hidden;
        int index = k;
        long row = (long)index * d, global = (s.Start + index) * d;
        for (int c = 0; c < d; c++) x[row + c] = DeviceGaussian.Normal(s.InputOrigin, global + c);
        double f = s.LinearBias;
        if (s.HasLinear != 0)
            for (int c = 0; c < d; c++) f += net[2L * m + (long)m * d + c] * x[row + c];
        for (int h = 0; h < m; h++)
        {
            double pre = net[(long)m * d + h];
            for (int c = 0; c < d; c++) pre += net[(long)h * d + c] * x[row + c];
            if (pre > 0) f += net[(long)m * d + m + h] * pre;
        }
        if (s.NoiseStd > 0) f += s.NoiseStd * DeviceGaussian.Normal(s.NoiseOrigin, s.Start + index);
        y[index] = f;
    }

    /// <summary>z = x U for a block on the device: x n x d, U d x m, z n x m (all row-major), thread k m + j.</summary>
    public static void Project(Index1D t, ArrayView<double> x, ArrayView<double> u, ArrayView<double> z, int dimension, int projected)
    {
        int index = t;
        int k = index / projected, j = index % projected;
        long row = (long)k * dimension;
        double sum = 0;
        for (int c = 0; c < dimension; c++) sum += x[row + c] * u[(long)c * projected + j];
        z[index] = sum;
    }
}

/// <summary>
/// Normal k of a <see cref="CounterGaussian"/> stream, one at a time, in operations every ILGPU back end has: its hash
/// (<see cref="CounterGaussian.Mix"/>, <see cref="CounterGaussian.ToUnit"/>) is shared; the logarithm and the rounding
/// are written out here because ILGPU's PTX back end has double Log and Round only through the CUDA toolkit's libdevice,
/// which the GPU machines lack. The values agree with the CPU stream to a few units in the last place.
/// </summary>
internal static class DeviceGaussian
{
    public static double Normal(ulong origin, long index)
    {
        ulong pair = (ulong)index >> 1;
        double u1 = CounterGaussian.ToUnit(CounterGaussian.Mix(origin + 2 * pair * CounterGaussian.Increment));
        double u2 = CounterGaussian.ToUnit(CounterGaussian.Mix(origin + (2 * pair + 1) * CounterGaussian.Increment));
        double radius = Math.Sqrt(-2 * Log(u1));
        TurnSinCos(u2, out double sin, out double cos);
        return (index & 1) == 0 ? radius * cos : radius * sin;
    }

    private const double Ln2 = 0.6931471805599453;

    /// <summary>ln u for u in (0, 1]: u = f 2^e with f in [sqrt(1/2), sqrt 2), ln f = 2 atanh((f - 1)/(f + 1)) by its series.</summary>
    public static double Log(double u)
    {
        ulong bits = ILGPU.Interop.FloatAsInt(u);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        double f = ILGPU.Interop.IntAsFloat((bits & 0x000FFFFFFFFFFFFFUL) | 0x3FF0000000000000UL); // in [1, 2)
        if (f > 1.4142135623730951)
        {
            f *= 0.5;
            exponent++;
        }
        double t = (f - 1) / (f + 1), t2 = t * t; // |t| <= 0.1716, t^2 <= 0.0295
        // 2 (t + t^3/3 + ... + t^25/25): the first omitted term is below 2 * 0.1716^27 / 27 = 1e-22
        double series = 1.0 / 25;
        for (int k = 23; k >= 1; k -= 2) series = 1.0 / k + t2 * series;
        return exponent * Ln2 + 2 * t * series;
    }

    private const double S3 = -1.0 / 6, S5 = 1.0 / 120, S7 = -1.0 / 5040, S9 = 1.0 / 362880, S11 = -1.0 / 39916800,
        S13 = 1.0 / 6227020800, S15 = -1.0 / 1307674368000;
    private const double C2 = -0.5, C4 = 1.0 / 24, C6 = -1.0 / 720, C8 = 1.0 / 40320, C10 = -1.0 / 3628800,
        C12 = 1.0 / 479001600, C14 = -1.0 / 87178291200, C16 = 1.0 / 20922789888000;

    /// <summary>CounterGaussian's sin and cos of 2 pi t, t in (0, 1), with the quarter turn rounded as (long)(4t + 1/2) (no ties occur).</summary>
    private static void TurnSinCos(double t, out double sin, out double cos)
    {
        double quarter = t * 4;
        long turn = (long)(quarter + 0.5);
        double a = (quarter - turn) * (Math.PI / 2);
        double a2 = a * a;
        double s = a + a * a2 * (S3 + a2 * (S5 + a2 * (S7 + a2 * (S9 + a2 * (S11 + a2 * (S13 + a2 * S15))))));
        double c = 1 + a2 * (C2 + a2 * (C4 + a2 * (C6 + a2 * (C8 + a2 * (C10 + a2 * (C12 + a2 * (C14 + a2 * C16)))))));
        switch (turn & 3)
        {
            case 0: sin = s; cos = c; break;
            case 1: sin = c; cos = -s; break;
            case 2: sin = -s; cos = -c; break;
            default: sin = -c; cos = s; break;
        }
    }
}
