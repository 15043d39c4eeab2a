using Spectre.Console;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Spectre.Console progress bars on standard error for the steps of a command: a bar appears for a
/// step once it has run for a second (short steps never show one), with its rate in samples/s.
/// Nothing is drawn when <c>show</c> is false (<c>--quiet</c>, <c>--json</c>, or stderr not a terminal).
/// </summary>
internal static class ProgressDisplay
{
    /// <summary>Steps shorter than this get no bar.</summary>
    public static readonly TimeSpan ShowAfter = TimeSpan.FromSeconds(1);

    /// <summary>Runs <paramref name="work"/>, handing it a progress sink (null when nothing is shown).</summary>
    public static T Run<T>(CliContext context, bool show, Func<IPassProgress?, T> work)
    {
        if (!show) return work(null);
        var progress = new Progress(context.CreateErrorConsole())
        {
            AutoClear = false,
            HideCompleted = false,
            RefreshRate = TimeSpan.FromMilliseconds(200),
        };
        progress.Columns(
            new TaskDescriptionColumn { Alignment = Justify.Left },
            new ProgressBarColumn(),
            new PercentageColumn(),
            new RateColumn(),
            new ElapsedTimeColumn(),
            new RemainingTimeColumn());
        return progress.Start(ctx =>
        {
            var sink = new SpectrePassProgress(ctx);
            try
            {
                return work(sink);
            }
            finally
            {
                sink.CompleteAll();
            }
        });
    }

    private sealed class SpectrePassProgress(ProgressContext context) : IPassProgress
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, ProgressTask> _tasks = [];
        private string? _current;

        public void Report(string pass, string unit, long done, long total, TimeSpan elapsed)
        {
            lock (_lock)
            {
                if (_current != pass && _current is not null && _tasks.TryGetValue(_current, out var previous)) Finish(previous);
                _current = pass;
                if (total <= 0) return;
                if (!_tasks.TryGetValue(pass, out var task))
                {
                    if (elapsed < ShowAfter && done < total) return;
                    if (done >= total && elapsed < ShowAfter) return;
                    task = context.AddTask(pass, autoStart: true, maxValue: total);
                    task.Tag = unit;
                    _tasks[pass] = task;
                }
                task.MaxValue = total;
                task.Value = Math.Min(done, total);
            }
        }

        public void CompleteAll()
        {
            lock (_lock)
            {
                foreach (var task in _tasks.Values) Finish(task);
            }
        }

        private static void Finish(ProgressTask task)
        {
            if (task.IsFinished) return;
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }

    /// <summary>The rate of a task in its unit per second (e.g. <c>12.3 M samples/s</c>).</summary>
    private sealed class RateColumn : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            double? speed = task.Speed;
            if (speed is null || task.Tag is not string unit) return new Text("");
            if (task.IsFinished && task.ElapsedTime is TimeSpan t && t > TimeSpan.Zero) speed = task.MaxValue / t.TotalSeconds;
            return new Text($"{Format(speed.Value)} {unit}/s", new Style(Color.Green));
        }

        public override int? GetColumnWidth(Spectre.Console.Rendering.RenderOptions options) => 22;

        private static string Format(double value) => value switch
        {
            >= 1e9 => $"{value / 1e9:F2} G",
            >= 1e6 => $"{value / 1e6:F2} M",
            >= 1e3 => $"{value / 1e3:F1} k",
            _ => $"{value:F1}",
        };
    }
}
