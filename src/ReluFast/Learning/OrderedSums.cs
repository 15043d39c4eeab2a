using System.Numerics;

namespace ReluFast.Learning;

/// <summary>
/// Long sums whose rounding does not depend on where the array lies in memory. TensorPrimitives' reductions peel the
/// unaligned head of a long span before their vector loop, so the grouping of the partial sums (and the last bits of the
/// result) follows the array's address modulo the vector size, which the garbage collector chooses afresh in every run:
/// two runs with the same seed then differed in the learner's noise floors and in the refinement's stopping target. These
/// sum in index order with four accumulators (i mod 4), whatever the address.
/// </summary>
internal static class OrderedSums
{
    /// <summary>sum_j v_j^2 in double.</summary>
    public static double SumOfSquares<T>(ReadOnlySpan<T> values) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 4 <= values.Length; j += 4)
        {
            double v0 = double.CreateTruncating(values[j]), v1 = double.CreateTruncating(values[j + 1]);
            double v2 = double.CreateTruncating(values[j + 2]), v3 = double.CreateTruncating(values[j + 3]);
            s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3;
        }
        for (; j < values.Length; j++)
        {
            double v = double.CreateTruncating(values[j]);
            s0 += v * v;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>sum_j v_j.</summary>
    public static double Sum(ReadOnlySpan<double> values)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int j = 0;
        for (; j + 4 <= values.Length; j += 4)
        {
            s0 += values[j]; s1 += values[j + 1]; s2 += values[j + 2]; s3 += values[j + 3];
        }
        for (; j < values.Length; j++) s0 += values[j];
        return (s0 + s1) + (s2 + s3);
    }
}
