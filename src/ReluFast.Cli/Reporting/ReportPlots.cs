using ReluFast.Learning;
using ReluFast.Model;
using ScottPlot;

namespace ReluFast.Cli.Reporting;

/// <summary>The report's plots (ScottPlot): recovered vs true parameters, the T_2 spectrum with the chosen m, and the sample sweep.</summary>
internal static class ReportPlots
{
    /// <summary>Width and height in pixels of one plot.</summary>
    public const int Width = 640, Height = 480;

    /// <summary>
    /// Recovered against true parameters of the matched neurons (both networks with unit w_i): every
    /// entry of every w_i, every a_i and every b_i, with the line y = x on which a perfect model lies.
    /// </summary>
    public static Plot Parameters(ReluNetwork truth, ReluNetwork model, int[] matching)
    {
        var t = truth.Normalized();
        var m = model.Normalized();
        var wTrue = new List<double>();
        var wFound = new List<double>();
        var aTrue = new List<double>();
        var aFound = new List<double>();
        var bTrue = new List<double>();
        var bFound = new List<double>();
        for (int i = 0; i < t.Hidden; i++)
        {
            int j = matching[i];
            if (j < 0) continue;
            for (int k = 0; k < t.InputDim; k++)
            {
                wTrue.Add(t.WeightsOf(i)[k]);
                wFound.Add(m.WeightsOf(j)[k]);
            }
            aTrue.Add(t.A[i]);
            aFound.Add(m.A[j]);
            bTrue.Add(t.B[i]);
            bFound.Add(m.B[j]);
        }
        var plot = new Plot();
        double lo = -1, hi = 1;
        foreach (var v in wTrue.Concat(aTrue).Concat(bTrue).Concat(wFound).Concat(aFound).Concat(bFound))
        {
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        double pad = 0.05 * (hi - lo);
        var diagonal = plot.Add.Line(lo - pad, lo - pad, hi + pad, hi + pad);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LegendText = "y = x (exact)";
        AddPoints(plot, wTrue, wFound, "w_i entries", Colors.SteelBlue, MarkerShape.FilledCircle, 6);
        AddPoints(plot, aTrue, aFound, "a_i", Colors.OrangeRed, MarkerShape.FilledSquare, 10);
        AddPoints(plot, bTrue, bFound, "b_i", Colors.SeaGreen, MarkerShape.FilledTriangleUp, 11);
        plot.Title($"Recovered vs true parameters ({aTrue.Count} of {t.Hidden} neurons matched)");
        plot.XLabel("true value");
        plot.YLabel("recovered value");
        plot.Axes.SetLimits(lo - pad, hi + pad, lo - pad, hi + pad);
        // Below the axes: off-diagonal points (errors, flipped neurons) may lie in any corner.
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// |eigenvalues| of T_2 sorted by size (log scale), the noise floor and the learner's threshold, and
    /// the cut after the chosen m.
    /// </summary>
    public static Plot Spectrum(LearningResult result, double noiseFloorMultiple = 2)
    {
        var plot = new Plot();
        int count = result.Spectrum.Count;
        double floor = Math.Max(result.NoiseFloor, 1e-300);
        double smallest = result.Spectrum.Select(Math.Abs).Where(v => v > 0).DefaultIfEmpty(floor).Min();
        double tiny = Math.Min(smallest, floor) / 10;
        double[] k = Enumerable.Range(1, count).Select(i => (double)i).ToArray();
        double[] logAbs = result.Spectrum.Select(v => Math.Log10(Math.Max(Math.Abs(v), tiny))).ToArray();
        var neurons = plot.Add.ScatterPoints(k.Take(result.Hidden).ToArray(), logAbs.Take(result.Hidden).ToArray());
        neurons.MarkerShape = MarkerShape.FilledCircle;
        neurons.MarkerSize = 9;
        neurons.Color = Colors.SteelBlue;
        neurons.LegendText = "|eigenvalue|, kept (neurons)";
        if (count > result.Hidden)
        {
            var rest = plot.Add.ScatterPoints(k.Skip(result.Hidden).ToArray(), logAbs.Skip(result.Hidden).ToArray());
            rest.MarkerShape = MarkerShape.OpenCircle;
            rest.MarkerSize = 9;
            rest.Color = Colors.Gray;
            rest.LegendText = "|eigenvalue|, noise";
        }
        var floorLine = plot.Add.HorizontalLine(Math.Log10(floor));
        floorLine.LineColor = Colors.OrangeRed;
        floorLine.LinePattern = LinePattern.Dotted;
        floorLine.LegendText = "noise floor";
        var threshold = plot.Add.HorizontalLine(Math.Log10(noiseFloorMultiple * floor));
        threshold.LineColor = Colors.OrangeRed;
        threshold.LinePattern = LinePattern.Dashed;
        threshold.LegendText = $"threshold ({noiseFloorMultiple} x floor)";
        var cut = plot.Add.VerticalLine(result.Hidden + 0.5);
        cut.LineColor = Colors.SeaGreen;
        cut.LineWidth = 2;
        cut.LegendText = $"chosen m = {result.Hidden}";
        plot.Title($"T_2 spectrum ({result.Samples:N0} samples)");
        plot.XLabel("k (eigenvalues sorted by |value|)");
        plot.YLabel("|eigenvalue| (log scale)");
        LogAxis(plot.Axes.Left);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimitsX(0.3, count + 0.7);
        plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// Parameter errors of the moment estimate against N, log-log, with the reference line
    /// C / sqrt(N) through the geometric mean of the w-errors.
    /// </summary>
    public static Plot Sweep(IReadOnlyList<SweepPoint> points)
    {
        var plot = new Plot();
        double[] logN = points.Select(p => Math.Log10(p.Samples)).ToArray();
        AddSeries(plot, logN, points.Select(p => p.WError), "w error", Colors.SteelBlue, MarkerShape.FilledCircle);
        AddSeries(plot, logN, points.Select(p => p.AError), "a error", Colors.OrangeRed, MarkerShape.FilledSquare);
        AddSeries(plot, logN, points.Select(p => p.BError), "b error", Colors.SeaGreen, MarkerShape.FilledTriangleUp);
        var finite = points.Where(p => double.IsFinite(p.WError) && p.WError > 0).ToArray();
        if (finite.Length > 0)
        {
            // log10 C = mean(log10 e + log10 N / 2): the 1/sqrt(N) line that fits the w errors best.
            double logC = finite.Average(p => Math.Log10(p.WError) + 0.5 * Math.Log10(p.Samples));
            double x0 = logN.Min(), x1 = logN.Max();
            var reference = plot.Add.Line(x0, logC - 0.5 * x0, x1, logC - 0.5 * x1);
            reference.LineColor = Colors.Black;
            reference.LinePattern = LinePattern.Dashed;
            reference.LegendText = "C / sqrt(N) reference";
        }
        plot.Title("Moment-estimate error vs number of samples");
        plot.XLabel("samples N (log scale)");
        plot.YLabel("max parameter error (log scale)");
        LogAxis(plot.Axes.Left);
        LogAxis(plot.Axes.Bottom);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>The PNG bytes of <paramref name="plot"/>.</summary>
    public static byte[] Png(Plot plot, int width = Width, int height = Height) =>
        plot.GetImageBytes(width, height, ImageFormat.Png);

    private static void AddPoints(Plot plot, List<double> xs, List<double> ys, string label, Color color, MarkerShape shape, float size)
    {
        if (xs.Count == 0) return;
        var s = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
        s.LegendText = label;
        s.Color = color;
        s.MarkerShape = shape;
        s.MarkerSize = size;
    }

    private static void AddSeries(Plot plot, double[] logN, IEnumerable<double> errors, string label, Color color, MarkerShape shape)
    {
        double[] e = errors.ToArray();
        var keep = Enumerable.Range(0, e.Length).Where(i => double.IsFinite(e[i]) && e[i] > 0).ToArray();
        if (keep.Length == 0) return;
        var s = plot.Add.Scatter(keep.Select(i => logN[i]).ToArray(), keep.Select(i => Math.Log10(e[i])).ToArray());
        s.LegendText = label;
        s.Color = color;
        s.MarkerShape = shape;
        s.MarkerSize = 9;
        s.LineWidth = 1.5f;
    }

    /// <summary>Labels an axis whose data are log10 values with 10^k ticks and log-spaced minor ticks.</summary>
    private static void LogAxis(IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => FormatPower(v),
        };
    }

    private static string FormatPower(double log10)
    {
        int k = (int)Math.Round(log10);
        return k switch
        {
            0 => "1",
            1 => "10",
            2 => "100",
            3 => "1000",
            _ => $"1e{k}",
        };
    }
}
