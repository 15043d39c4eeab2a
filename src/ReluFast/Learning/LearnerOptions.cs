using ReluFast.Interop;

namespace ReluFast.Learning;

/// <summary>Settings of <see cref="MomentLearner"/>. The defaults suit N = 10^6 .. 10^8 samples.</summary>
public sealed record LearnerOptions
{
    /// <summary>Number of hidden neurons m; null picks m from the T_2 spectrum against its noise floor.</summary>
    public int? Hidden { get; init; }

    /// <summary>
    /// The auto mode's count where T_2 undercounts (the flattened moments see more neurons): a lower bound on the full-rank
    /// learner's own estimate of m, which stays an estimate (its residual and swap rounds follow), unlike <see cref="Hidden"/>.
    /// </summary>
    internal int? SuggestedHidden { get; init; }

    /// <summary>Whether to refine the moment estimate by L-BFGS on the mean squared error (docs/algorithm.md section 10).</summary>
    public bool Refine { get; init; } = true;

    /// <summary>Number of random contraction vectors g (candidates C = T_3 + T_4(., ., ., g)), all accumulated in the same pass.</summary>
    public int Restarts { get; init; } = 3;

    /// <summary>How many of the candidates (best held-out error first) are refined; the best refined one is returned.</summary>
    public int RefinedCandidates { get; init; } = 2;

    /// <summary>Random slices u tried by the pencil decomposition (the best relative eigen-gap is kept).</summary>
    public int PencilTrials { get; init; } = 16;

    /// <summary>Maximum alternating-least-squares iterations polishing each pencil decomposition.</summary>
    public int PolishIterations { get; init; } = 100;

    /// <summary>Samples in the pilot prefix that fits the linear control variate of pass 1.</summary>
    public int PilotSamples { get; init; } = 100_000;

    /// <summary>Samples (a prefix of the data) on which refinement minimises the squared error.</summary>
    public int RefinementSamples { get; init; } = 100_000;

    /// <summary>Samples after the refinement set on which candidates are compared (held-out error).</summary>
    public int HeldOutSamples { get; init; } = 50_000;

    /// <summary>
    /// The most parameters for which the Fisher information is formed (standard errors, refinement on all samples):
    /// <see cref="FisherInformation.MaximumParameters"/>; lower only in tests, to reach the larger networks' path on small ones.
    /// </summary>
    internal int MaximumFisherParameters { get; init; } = FisherInformation.MaximumParameters;

    /// <summary>
    /// When the data are not fitted exactly (label noise), refine on every sample except the held-out ones: streamed
    /// Gauss-Newton passes (at most 8) from the fit on a small subsample, with the Fisher information of the refinement set
    /// as the matrix, so that the parameter error keeps falling like 1/sqrt(N) instead of stopping at the refinement set's
    /// (docs/algorithm.md section 18). False: L-BFGS on the refinement set only.
    /// </summary>
    public bool RefineOnAllSamples { get; init; } = true;

    /// <summary>
    /// Maximum L-BFGS iterations of one refinement. A full-rank fit stopped by this limit is refined again from where it
    /// stopped, up to ten more times this many iterations while each continuation at least halves its held-out error, before
    /// any residual round (docs/algorithm.md section 5).
    /// </summary>
    public int MaxRefinementIterations { get; init; } = 1000;

    /// <summary>Eigenvalues of T_2 above this many times the estimated noise floor count as neurons when m is chosen automatically.</summary>
    public double NoiseFloorMultiple { get; init; } = 2;

    /// <summary>
    /// Worker threads of the moment passes and of refinement (0: all logical processors; at most <see cref="MaxThreads"/>). On the
    /// CPU the count changes no result: every sum is taken in an order that depends on the samples alone.
    /// </summary>
    public int Threads { get; init; }

    /// <summary>The most <see cref="Threads"/> a learner takes: every worker holds its own accumulators, so this bounds their memory.</summary>
    public const int MaxThreads = Moments.SamplePassOptions.MaxThreads;

    /// <summary>Samples per block of the moment passes.</summary>
    public int BlockSize { get; init; } = 4096;

    /// <summary>
    /// How pass 2 multiplies its 3-tensors: <see cref="Learning.TensorPrecision.Mixed"/> (default; float32 products and tile sums,
    /// float64 totals, for float64 samples on the sample-lane kernel) or <see cref="Learning.TensorPrecision.SampleType"/>.
    /// </summary>
    public TensorPrecision TensorPrecision { get; init; } = TensorPrecision.Mixed;

    /// <summary>
    /// Where the full-rank learner's three moment passes run: <see cref="ComputeDevice.Cpu"/> (the SIMD engine) or a CUDA
    /// device (the GPU moment engine of ReluFast.Gpu; every pass thread feeds its own device session). The input pass, the
    /// dense solves and refinement run on the CPU on every device; the overcomplete learner runs on the CPU only.
    /// </summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;

    /// <summary>Seed of the learner's own random choices (g, the pencil's u).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Sums the moment passes over processes (distributed learning, e.g. <see cref="Interop.Mpi.MpiSession"/>): with
    /// Size K &gt; 1 each process streams samples [N r / K, N (r + 1) / K) of the same source in every pass and the
    /// partial moments are all-reduced, so every process learns the same model. Null (or a group of one): all samples here.
    /// </summary>
    public Interop.Mpi.IMomentReducer? Reducer { get; init; }

    /// <summary>
    /// Overcomplete learner: at most this many rounds of moments, decomposition and refinement; every round after the first
    /// subtracts the previous round's network from y (a control variate that shrinks the moment noise by its error).
    /// </summary>
    public int OvercompleteRounds { get; init; } = 5;

    /// <summary>
    /// Overcomplete learner: also run the projected pass (Q4, Q5_k in the span) and its slice pencils in round 1, adding their
    /// factors as candidates and as seeds of the rank-one search (off by default: the rank-one search alone is more robust,
    /// and the pass costs as much as the span pass). <see cref="Restarts"/>, <see cref="PencilTrials"/> and
    /// <see cref="PolishIterations"/> apply to it.
    /// </summary>
    public bool OvercompletePencil { get; init; }

    /// <summary>
    /// How the law of x is treated: <see cref="InputHandling.Estimate"/> (default) estimates its mean and covariance in one
    /// pass and learns in whitened coordinates when they are not N(0, I)'s; <see cref="InputHandling.StandardNormal"/> trusts
    /// x ~ N(0, I).
    /// </summary>
    public InputHandling Inputs { get; init; } = InputHandling.Estimate;

    /// <summary>
    /// Learn even when the input pass finds marginals that are not Gaussian (skewness or kurtosis beyond tolerance and beyond
    /// their sampling error); without it the learner throws <see cref="NonGaussianInputException"/>.
    /// </summary>
    public bool AssumeGaussian { get; init; }
}
