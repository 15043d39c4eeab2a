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
            new StepTimeColumn(),
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
        private readonly HashSet<ProgressTask> _stopped = [];
        private string? _current;

        public void Report(string pass, string? unit, long done, long total, TimeSpan elapsed)
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
                    // The bar appears late (after a second): start its clock when the step started.
                    task.Tag = new TaskInfo(unit, DateTime.UtcNow - elapsed);
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

        private void Finish(ProgressTask task)
        {
            if (!_stopped.Add(task)) return;
            task.Value = task.MaxValue;
            if (task.Tag is TaskInfo info) task.Tag = info with { Seconds = (DateTime.UtcNow - info.Started).TotalSeconds };
            task.StopTask();
        }
    }

    /// <summary>What the rate column needs: the unit (null: no rate), when the step began, and its duration once finished.</summary>
    private sealed record TaskInfo(string? Unit, DateTime Started, double? Seconds = null);

    /// <summary>Time since the step began (not since its bar appeared), frozen when it finishes.</summary>
    private sealed class StepTimeColumn : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task,
            TimeSpan deltaTime)
        {
            if (task.Tag is not TaskInfo info) return new Text("");
            var elapsed = TimeSpan.FromSeconds(info.Seconds ?? (DateTime.UtcNow - info.Started).TotalSeconds);
            return new Text($"{(int)elapsed.TotalHours:00}:{elapsed.Minutes:00}:{elapsed.Seconds:00}", new Style(Color.Blue));
        }

        public override int? GetColumnWidth(Spectre.Console.Rendering.RenderOptions options) => 8;
    }

    /// <summary>The rate of a task in its unit per second (e.g. <c>12.3 M samples/s</c>).</summary>
    private sealed class RateColumn : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task,
            TimeSpan deltaTime)
        {
            if (task.Tag is not TaskInfo { Unit: string unit } info) return new Text("");
            // While running: the recent rate; once finished: the average over the whole step.
            double? speed = info.Seconds is double seconds && seconds > 0 ? task.MaxValue / seconds : task.Speed;
            if (speed is null) return new Text("");
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
