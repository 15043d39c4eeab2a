namespace ReluFast.Learning;

/// <summary>What a <see cref="LearningWarning"/> is about.</summary>
public enum LearningWarningCode
{
    /// <summary>No neuron stands above the noise floor: only the linear remainder c0 + &lt;c, x&gt; was returned.</summary>
    LinearOnly,
    /// <summary>m was given, but fewer spectral values than m stand above the noise floor: the weakest neurons may not be identifiable.</summary>
    BelowNoiseFloor,
    /// <summary>After refinement the network still leaves more than 1e-3 of Var y unexplained on held-out samples.</summary>
    UnexplainedVariance,
    /// <summary>The chosen pencil's relative eigen-gap is tiny: two neurons' directions are ill-determined by the moments (not
    /// raised when refinement fits the held-out samples exactly).</summary>
    SmallEigenGap,
    /// <summary>Two learned directions are nearly parallel.</summary>
    NearlyParallel,
    /// <summary>The learned directions are nearly linearly dependent (large condition number of W).</summary>
    NearlyDependent,

    /// <summary>x varies in fewer directions than it has coordinates (constant or collinear columns): learned on those.</summary>
    ReducedInputs,
    /// <summary>A neuron's output weight a_i is within two standard errors of 0: it may be fitted noise.</summary>
    InsignificantNeuron,
    /// <summary>The residual y - f(x) of a network fitted on all samples still has T_2 eigenvalues above its noise floor.</summary>
    UnfittedStructure,
}

/// <summary>A warning of a learning run: what it is about, and one line that explains it.</summary>
/// <param name="Code">What the warning is about.</param>
/// <param name="Message">The explanation (without a "warning:" prefix; the run's log shows it with one).</param>
public sealed record LearningWarning(LearningWarningCode Code, string Message)
{
    /// <summary>The log line: "warning: " and the message.</summary>
    public override string ToString() => "warning: " + Message;
}

/// <summary>A sample holds NaN or infinity (its index and coordinate are known, so a caller can name them).</summary>
public sealed class NonFiniteSampleException : ArgumentException
{
    /// <summary>Creates the error for sample <paramref name="index"/>, coordinate <paramref name="column"/> (-1: y).</summary>
    public NonFiniteSampleException(long index, int column, double value)
        : base(column < 0
            ? $"Sample {index} has a non-finite y ({value}): remove or fix it before learning."
            : $"Sample {index} has a non-finite x[{column}] ({value}): remove or fix it before learning.")
    {
        Index = index;
        Column = column;
        Value = value;
    }

    /// <summary>The sample (row) holding the value.</summary>
    public long Index { get; }

    /// <summary>The coordinate of x holding it, or -1 when it is y.</summary>
    public int Column { get; }

    /// <summary>The value (NaN or an infinity).</summary>
    public double Value { get; }
}

/// <summary>
/// Every value is finite, but the moment estimates overflow a double: they multiply y by up to five coordinates of x and
/// square y. The exception names the sample and coordinate of the largest magnitude (of x or of y, whichever is larger), so a
/// caller can name the file, row and column.
/// </summary>
public sealed class SampleMagnitudeException : ArgumentException
{
    /// <summary>Creates the error for sample <paramref name="index"/>, coordinate <paramref name="column"/> (-1: y).</summary>
    public SampleMagnitudeException(long index, int column, double value)
        : base($"Sample {index} has {(column < 0 ? "y" : $"x[{column}]")} = {value:G3}, the largest magnitude of {(column < 0 ? "y" : "x")} " +
            $"in the samples, and the moment estimates overflow a double: {Reason}")
    {
        Index = index;
        Column = column;
        Value = value;
    }

    /// <summary>Why such values cannot be learned from, and what to do.</summary>
    public const string Reason = "the moments multiply y by up to five coordinates of x and square y, so every such product must be a " +
        "finite double; rescale the data (e.g. to unit scale).";

    /// <summary>The sample (row) holding the value.</summary>
    public long Index { get; }

    /// <summary>The coordinate of x holding it, or -1 when it is y.</summary>
    public int Column { get; }

    /// <summary>The value.</summary>
    public double Value { get; }
}

/// <summary>
/// A learner was asked to run where it cannot: the overcomplete learner (and the mode check's span pass) run on the CPU of
/// a single process only, so a libtorch device or a distributed reducer cannot be used with it.
/// </summary>
public sealed class LearnerPlacementException : ArgumentException
{
    /// <summary>Creates the error with its explanation.</summary>
    public LearnerPlacementException(string message) : base(message) { }
}

/// <summary>An option of <see cref="LearnerOptions"/> is out of range for these samples (e.g. m &gt; d in full-rank mode).</summary>
public sealed class LearnerOptionException : ArgumentException
{
    /// <summary>Creates the error for the option named <paramref name="option"/>.</summary>
    public LearnerOptionException(string option, string message) : base(message) => Option = option;

    /// <summary>The option's property name in <see cref="LearnerOptions"/> (e.g. "Hidden").</summary>
    public string Option { get; }
}
