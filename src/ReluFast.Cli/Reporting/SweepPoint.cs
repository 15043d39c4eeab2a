namespace ReluFast.Cli.Reporting;

/// <summary>One N of the sample sweep: parameter errors of the moment estimate learned from N samples (geometric mean over the repeats).</summary>
/// <param name="Samples">N.</param>
/// <param name="WError">max |w_i - w'_i| over matched neurons.</param>
/// <param name="AError">max |a_i - a'_i|.</param>
/// <param name="BError">max |b_i - b'_i|.</param>
/// <param name="Seconds">Time of all the repeats at this N.</param>
internal sealed record SweepPoint(long Samples, double WError, double AError, double BError, double Seconds);
