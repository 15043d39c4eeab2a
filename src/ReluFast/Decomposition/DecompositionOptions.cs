namespace ReluFast.Decomposition;

/// <summary>How <see cref="PencilDecomposition"/> finds its starting factors before the all-slice polish.</summary>
internal enum DecompositionMethod
{
    /// <summary>
    /// Both starts, each polished; the lower polished residual wins (a failed joint diagonalisation, which leaves a larger
    /// residual, is answered by the pencil and vice versa). The pencil costs a fraction of the joint diagonalisation.
    /// </summary>
    Auto,

    /// <summary>Only the joint diagonalisation of all slices (whitening by a positive definite combination, then Jacobi rotations).</summary>
    JointDiagonalization,

    /// <summary>Only Jennrich's random pencil C(., ., u) B^{-1} (the best of several u by relative eigen-gap).</summary>
    Pencil,
}

/// <summary>Settings of <see cref="PencilDecomposition"/>.</summary>
internal sealed record DecompositionOptions
{
    /// <summary>Which starting method (see <see cref="DecompositionMethod"/>).</summary>
    public DecompositionMethod Method { get; init; } = DecompositionMethod.Auto;

    /// <summary>Random contraction vectors u tried by the pencil.</summary>
    public int PencilTrials { get; init; } = 16;

    /// <summary>Seed of the pencil's random u.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Maximum alternating-least-squares iterations of the all-slice polish (0 disables it).</summary>
    public int PolishIterations { get; init; } = 200;

    /// <summary>Maximum Jacobi sweeps of the joint diagonalisation.</summary>
    public int MaxSweeps { get; init; } = 100;

    /// <summary>A result whose relative slice residual after the polish exceeds this is flagged as unreliable.</summary>
    public double ResidualLimit { get; init; } = 0.1;

    /// <summary>A result whose factor matrix has a larger 2-norm condition number is flagged as unreliable.</summary>
    public double ConditionLimit { get; init; } = 1e6;
}
