namespace ReluFast.Learning;

/// <summary>
/// The arithmetic of the full-rank learner's pass 2, whose 3-tensors are most of its work (<see cref="LearnerOptions.TensorPrecision"/>).
/// </summary>
public enum TensorPrecision
{
    /// <summary>
    /// For float64 samples, each 3-tensor product and its partial sum over a tile of samples (a few hundred to two thousand) in
    /// float32, the totals in float64: on the sample lanes (m &lt;= 24 on AVX-512) each tile is rounded in place, elsewhere (larger
    /// m, narrower vectors) each block goes through a float32 accumulator whose sums are added to the float64 ones. z, y, the
    /// control variate and the weights stay float64 until they enter the products. The rounding (about 1e-7 of a sum's terms,
    /// unbiased) is orders of magnitude below the sums' sampling error at any sample count, so the moments estimate the same
    /// thing with the same error; the bits differ from <see cref="SampleType"/>'s. About twice as fast a kernel (docs/passes.md,
    /// "Pass 2's 3-tensors in float32 products"). Float32 samples and the passes on a device (<see cref="LearnerOptions.Device"/>)
    /// take the samples' type.
    /// </summary>
    Mixed,

    /// <summary>Every product and partial sum in the samples' type.</summary>
    SampleType,
}
