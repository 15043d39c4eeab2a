using System.Runtime.ExceptionServices;

namespace ReluFast.Moments;

/// <summary>
/// The helper threads of <see cref="SamplePass"/>, kept between passes: a pass hands its threads 1 .. P - 1 their work instead of
/// creating them. Creating and starting a thread cost a pass 0.3-0.5 ms on the 2-core VM of docs/passes.md ("Pass threads kept"),
/// 1-2 % of a 30 ms Gram pass and more of the small passes a learner runs dozens of; handing work to a waiting thread costs
/// microseconds. A helper idle for <see cref="IdleLifetime"/> ends; a pass that finds no idle helper creates one, so passes that
/// run at the same time (two learners in one process) never wait for each other's threads.
/// </summary>
internal static class PassThreads
{
    private static readonly List<Helper> s_idle = [];

    /// <summary>How long a helper waits for its next pass before it ends.</summary>
    internal static TimeSpan IdleLifetime { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Runs <paramref name="work"/>(0) on the calling thread and <paramref name="work"/>(t), t = 1 .. <paramref name="count"/> - 1,
    /// on helper threads, each in the caller's execution context (so what the caller holds in an <see cref="AsyncLocal{T}"/>, such
    /// as a forced vector width, holds in its helpers as in threads it starts); returns when all have returned. An exception of a
    /// helper's work is rethrown here after all have returned (the caller's own first).
    /// </summary>
    public static void Run(int count, Action<int> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (count <= 1)
        {
            if (count == 1) work(0);
            return;
        }
        var job = new Job(work, ExecutionContext.Capture(), count - 1);
        int posted = 1;
        try
        {
            for (; posted < count; posted++) Take().Post(job, posted);
            work(0);
        }
        finally
        {
            // with no thread for an index (the system refused one) the indices posted run out before the pass fails, none skipped
            if (posted < count) job.Done.Signal(count - posted);
            job.Done.Wait();
            job.Done.Dispose();
        }
        foreach (ExceptionDispatchInfo? e in job.Errors) e?.Throw();
    }

    /// <summary>
    /// Rethrows the failures a parallel loop caught in <paramref name="errors"/> (one per thread or per block, in order): a
    /// cancellation first, wherever it is, then the first failure, as a sequential loop would have met it.
    /// </summary>
    public static void Rethrow(ExceptionDispatchInfo?[] errors)
    {
        foreach (ExceptionDispatchInfo? e in errors)
            if (e?.SourceException is OperationCanceledException) e.Throw();
        foreach (ExceptionDispatchInfo? e in errors) e?.Throw();
    }

    private static Helper Take()
    {
        lock (s_idle)
        {
            if (s_idle.Count > 0)
            {
                Helper h = s_idle[^1];
                s_idle.RemoveAt(s_idle.Count - 1);
                return h;
            }
        }
        return new Helper();
    }

    private sealed class Job(Action<int> work, ExecutionContext? context, int helpers)
    {
        public readonly Action<int> Work = work;
        public readonly ExecutionContext? Context = context;
        public readonly CountdownEvent Done = new(helpers);
        public readonly ExceptionDispatchInfo?[] Errors = new ExceptionDispatchInfo?[helpers];
    }

    private sealed class Helper
    {
        private readonly SemaphoreSlim _go = new(0);
        private Job? _job;
        private int _index;

        public Helper()
        {
            // the thread holds no context of its own: each job runs in the context of the pass that posted it
            new Thread(Loop) { IsBackground = true, Name = "ReluFast moment pass" }.UnsafeStart();
        }

        public void Post(Job job, int index)
        {
            _job = job;
            _index = index;
            _go.Release();
        }

        private void Loop()
        {
            while (true)
            {
                if (!_go.Wait(IdleLifetime))
                {
                    lock (s_idle)
                    {
                        // not in the list: a pass has taken this helper and its job is on the way
                        if (!s_idle.Remove(this)) continue;
                    }
                    _go.Dispose();
                    return;
                }
                Job job = _job!;
                int index = _index;
                _job = null;
                try
                {
                    if (job.Context is null) job.Work(index);
                    else ExecutionContext.Run(job.Context, static s => { var (w, i) = ((Action<int>, int))s!; w(i); }, (job.Work, index));
                }
                catch (Exception e)
                {
                    job.Errors[index - 1] = ExceptionDispatchInfo.Capture(e);
                }
                finally
                {
                    // idle again before the pass is told, so that the caller's next pass finds this helper
                    lock (s_idle) s_idle.Add(this);
                    job.Done.Signal();
                }
            }
        }
    }
}
