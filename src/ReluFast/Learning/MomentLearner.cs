using System.Diagnostics;
using System.Numerics;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Learning;

/// <summary>
/// The full-rank learner of ALGORITHM.md section 5 (m &lt;= d, linearly independent w_i): three streaming
/// moment passes over the samples, a robust pencil decomposition, Hermite coefficients, flip resolution,
/// the linear remainder, and L-BFGS refinement of the best candidates on a subsample.
/// </summary>
public static class MomentLearner
{
    /// <summary>Smallest sample count the learner accepts for input dimension d: max(1000, 2 d^2).</summary>
    public static long MinimumSamples(int inputDim) => Math.Max(1000, 2L * inputDim * inputDim);

    /// <summary>Learns a network from <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">Too few samples, m &gt; d, m &lt;= 0, non-finite samples, or invalid options; the message names the problem.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static LearningResult Learn<T>(ISampleSource<T> source, LearnerOptions? options = null,
        IProgress<LearningProgress>? progress = null, CancellationToken cancellationToken = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new LearnerOptions();
        Validate(source, options);
        var run = new LearnerRun<T>(source, options, progress, cancellationToken);
        return run.Execute();
    }

    private static void Validate<T>(ISampleSource<T> source, LearnerOptions options) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = source.Dimension;
        if (d <= 0) throw new ArgumentException($"The input dimension is {d}: samples need at least one coordinate.", nameof(source));
        if (source.Count < MinimumSamples(d))
            throw new ArgumentException($"Too few samples: {source.Count} given, the learner needs at least {MinimumSamples(d)} for d = {d} (max(1000, 2 d^2)).", nameof(source));
        if (options.Hidden is int m)
        {
            if (m <= 0) throw new ArgumentException($"The number of hidden neurons must be positive, got {m}.", nameof(options));
            if (m > d) throw new ArgumentException($"m = {m} > d = {d}: the full-rank learner needs at most d neurons (use the overcomplete mode for m > d).", nameof(options));
        }
        if (options.Restarts <= 0) throw new ArgumentException("Restarts must be positive.", nameof(options));
        if (options.RefinedCandidates <= 0) throw new ArgumentException("RefinedCandidates must be positive.", nameof(options));
        if (options.PencilTrials <= 0) throw new ArgumentException("PencilTrials must be positive.", nameof(options));
        if (options.PilotSamples <= 0 || options.RefinementSamples <= 0 || options.HeldOutSamples <= 0)
            throw new ArgumentException("PilotSamples, RefinementSamples and HeldOutSamples must be positive.", nameof(options));
        if (options.BlockSize <= 0) throw new ArgumentException("BlockSize must be positive.", nameof(options));
        if (options.Threads < 0) throw new ArgumentException("Threads must be 0 (all processors) or positive.", nameof(options));
        if (!(options.NoiseFloorMultiple > 0)) throw new ArgumentException("NoiseFloorMultiple must be positive.", nameof(options));
    }

    /// <summary>One learning run: the state shared by the steps.</summary>
    private sealed class LearnerRun<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly ISampleSource<T> _source;
        private readonly LearnerOptions _options;
        private readonly CancellationToken _cancel;
        private readonly int _d;
        private readonly long _n;
        private readonly LearningReporter _reporter;
        private readonly TorchMomentEngine? _deviceEngine;
        private readonly TorchSharp.torch.Device? _torchDevice;

        // The subsample kept in memory: pilot prefix, refinement set, held-out set.
        private double[] _localX = [];
        private double[] _localY = [];
        private int _local, _refineCount, _heldOutCount;

        public LearnerRun(ISampleSource<T> source, LearnerOptions options, IProgress<LearningProgress>? progress, CancellationToken cancellationToken)
        {
            _source = source;
            _options = options;
            _reporter = new LearningReporter(progress);
            _cancel = cancellationToken;
            _d = source.Dimension;
            _n = source.Count;
            if (options.Device.Kind != Interop.ComputeDeviceKind.Cpu)
            {
                _torchDevice = options.Device.Resolve(); // throws TorchUnavailableException with the reason when absent
                _deviceEngine = new TorchMomentEngine(options.Device.ToString());
            }
        }

        public LearningResult Execute()
        {
            var clock = Stopwatch.StartNew();
            if (_options.Reducer is { Size: > 1 } reducer)
            {
                DistributedPass.RequireSameSource(reducer, _n, _d);
                Log($"distributed over {reducer.Size} processes: this is rank {reducer.Rank}; every pass streams its slice of the samples and sums the moments over the processes");
            }
            var (t0Pilot, t1Pilot) = ReadLocalSamples();
            var tPilot = Lap(clock);

            // Pass 1: t0, t1 and T_2 with the linear control variate (section 3/5).
            var pass1 = RunPass(LearningStage.SecondMoments, () => new SecondMomentWorker<T>(ControlVariate.Linear(t0Pilot, t1Pilot), _options.BlockSize, _deviceEngine));
            double n = _n;
            var gram = new double[_d * _d];
            var first = new double[_d];
            pass1.Moments.CopyGram(0, gram);
            pass1.Moments.CopyFirstMoment(0, first);
            double meanCentred = pass1.Moments.WeightSum(0) / n;
            double meanSquare = pass1.SumOfSquares / n;
            if (!double.IsFinite(meanCentred) || !double.IsFinite(meanSquare) || !AllFinite(gram))
                throw new ArgumentException(DescribeNonFinite());
            double t0 = t0Pilot + meanCentred;
            var t1 = new double[_d];
            for (int i = 0; i < _d; i++) t1[i] = t1Pilot[i] + first[i] / n;
            var t2 = new double[_d * _d];
            for (int i = 0; i < _d * _d; i++) t2[i] = gram[i] / n;
            for (int i = 0; i < _d; i++) t2[i * _d + i] -= meanCentred;

            var spectrum = SymmetricSpectrum.Compute(t2, _d);
            double noiseFloor = 2 * Math.Sqrt(_d * meanSquare / n);
            int m = DistributedPass.ShareFromRankZero(_options.Reducer, ChooseHidden(spectrum, noiseFloor, out bool estimated));
            var tPass1 = Lap(clock);
            if (m == 0) return LinearOnly(spectrum, noiseFloor, t0, t1, clock, tPilot, tPass1);

            // Subspace U (d x m), B = U^T T_2 U, and the quadratic control variate in z = U^T x.
            double[] u = spectrum.LeadingVectors(m);
            DistributedPass.ShareFromRankZero(_options.Reducer, u);
            double[] b = Congruence(u, t2, _d, m);
            double[] t1z = TransposeTimes(u, t1, _d, m);
            var quadratic = ControlVariate.Quadratic(t0, t1z, b);
            T[] uT = Array.ConvertAll(u, v => T.CreateTruncating(v));

            // Pass 2: the projected tensors for T_3 and T_4(., ., ., g_r).
            int restarts = _options.Restarts;
            double[] g = new double[m * restarts];
            new CounterGaussian(_options.Seed, key: 0x6A).Fill(0, g);
            T[] gT = Array.ConvertAll(g, v => T.CreateTruncating(v));
            var pass2 = RunPass(LearningStage.ProjectedTensor, () => new ProjectedMomentWorker<T>(uT, _d, m, gT, restarts, quadratic, _options.BlockSize, _deviceEngine));
            var tPass2 = Lap(clock);

            // Decomposition of each candidate C_r = T_3 + T_4(., ., ., g_r).
            Report(LearningStage.Decomposition, 0, 0, "decomposing");
            var pencils = new PencilResult[restarts];
            double[] t3 = ThirdOrderTensor(pass2.Moments, 0, m, n);
            // The candidates are independent small problems: one per core, each on a single libtorch thread
            // (libtorch's intra-op threads only add synchronisation on m x m matrices).
            int torchThreads = TorchSharp.torch.get_num_threads();
            TorchSharp.torch.set_num_threads(1);
            try
            {
                int workers = _options.Threads > 0 ? _options.Threads : Environment.ProcessorCount;
                Parallel.For(0, restarts, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = _cancel }, r =>
                {
                    double[] c = FourthOrderContraction(pass2.Moments, r, g, restarts, m, n);
                    for (int i = 0; i < c.Length; i++) c[i] += t3[i];
                    pencils[r] = PencilDecomposition.Decompose(b, c, m, _options.PencilTrials, _options.Seed + (ulong)r, _options.PolishIterations);
                });
            }
            finally
            {
                TorchSharp.torch.set_num_threads(torchThreads);
            }
            for (int r = 0; r < restarts; r++)
                Log($"candidate {r}: relative eigen-gap {pencils[r].RelativeGap:G3}, slice residual {pencils[r].PencilResidual:G3} -> {pencils[r].PolishedResidual:G3} after {pencils[r].PolishIterations} polish iterations");
            foreach (var pencil in pencils) DistributedPass.ShareFromRankZero(_options.Reducer, pencil.Factors);
            var tDecomposition = Lap(clock);

            // Pass 3: Hermite coefficients r_k = E[y~ He_k(<w_j, x>)] for every candidate's directions.
            int columns = m * restarts;
            var directions = new double[m * columns];
            for (int r = 0; r < restarts; r++)
                for (int i = 0; i < m; i++)
                    for (int k = 0; k < m; k++)
                        directions[k * columns + r * m + i] = pencils[r].Factors[k * m + i];
            var pass3 = RunPass(LearningStage.Coefficients, () => new CoefficientWorker<T>(uT, _d, m, directions, columns, 4, quadratic, _options.BlockSize, _deviceEngine));
            var candidates = new CandidateState[restarts];
            for (int r = 0; r < restarts; r++)
                candidates[r] = BuildCandidate(r, pencils[r], pass3.Moments, directions, columns, m, u, b, t0, t1, t1z, n);
            var tPass3 = Lap(clock);

            // Refinement of the most promising candidates; the lowest held-out error wins.
            var (chosen, held) = ChooseAndRefine(candidates, t1);
            var tRefine = Lap(clock);
            foreach (string warning in ConditioningChecks.Warnings(chosen.Refined ?? chosen.Moment, chosen.RelativeGap, chosen.Refined is null ? double.NaN : held.Mse / held.Variance)) Log(warning);
            Report(LearningStage.Done, 0, 0, $"done: held-out MSE {held.Mse:G4} (relative {held.Mse / Math.Max(held.Variance, 1e-300):G3})");

            return new LearningResult
            {
                Network = chosen.Refined ?? chosen.Moment,
                MomentEstimate = chosen.Moment,
                Spectrum = spectrum.Values,
                NoiseFloor = noiseFloor,
                Hidden = m,
                HiddenWasEstimated = estimated,
                Candidates = candidates.Select(c => c.Summary).ToArray(),
                ChosenCandidate = chosen.Index,
                HeldOutMse = held.Mse,
                HeldOutVariance = held.Variance,
                Flipped = chosen.Flipped,
                HermiteCoefficients = chosen.Lambdas,
                Samples = _n,
                Timings = new LearningTimings(tPilot, tPass1, tPass2, tDecomposition, tPass3, tRefine),
                Log = _reporter.Lines.ToArray(),
            };
        }

        /// <summary>Reads the in-memory prefix (pilot, refinement and held-out samples) and fits the pilot's linear part.</summary>
        private (double T0, double[] T1) ReadLocalSamples()
        {
            long wanted = Math.Max(_options.PilotSamples, (long)_options.RefinementSamples + _options.HeldOutSamples);
            _local = (int)Math.Min(_n, wanted);
            _heldOutCount = Math.Min(_options.HeldOutSamples, _local / 5);
            _refineCount = Math.Min(_options.RefinementSamples, _local - _heldOutCount);
            Report(LearningStage.Pilot, 0, _local, $"reading {_local} samples for the pilot, refinement and held-out sets");
            _localX = new double[(long)_local * _d];
            _localY = new double[_local];
            const int Block = 4096;
            var x = new T[Block * _d];
            var y = new T[Block];
            for (int start = 0; start < _local; start += Block)
            {
                _cancel.ThrowIfCancellationRequested();
                int count = Math.Min(Block, _local - start);
                _source.Read(start, x.AsSpan(0, count * _d), y.AsSpan(0, count));
                for (int i = 0; i < count * _d; i++) _localX[(long)start * _d + i] = double.CreateTruncating(x[i]);
                for (int j = 0; j < count; j++) _localY[start + j] = double.CreateTruncating(y[j]);
            }
            for (int j = 0; j < _local; j++)
            {
                if (!double.IsFinite(_localY[j])) throw new ArgumentException($"Sample {j} has a non-finite y ({_localY[j]}): remove or fix it before learning.");
                for (int i = 0; i < _d; i++)
                    if (!double.IsFinite(_localX[(long)j * _d + i]))
                        throw new ArgumentException($"Sample {j} has a non-finite x[{i}] ({_localX[(long)j * _d + i]}): remove or fix it before learning.");
            }
            int pilot = Math.Min(_options.PilotSamples, _local);
            double t0 = 0;
            var t1 = new double[_d];
            for (int j = 0; j < pilot; j++)
            {
                t0 += _localY[j];
                for (int i = 0; i < _d; i++) t1[i] += _localY[j] * _localX[(long)j * _d + i];
            }
            t0 /= pilot;
            for (int i = 0; i < _d; i++) t1[i] /= pilot;
            return (t0, t1);
        }

        private TWorker RunPass<TWorker>(LearningStage stage, Func<TWorker> create) where TWorker : IMomentWorker<T, TWorker>, IReducibleMomentWorker
        {
            // Distributed (Reducer.Size > 1): this process streams its slice of the samples, then the sums are added over the processes.
            var (start, count) = DistributedPass.Slice(_n, _options.Reducer);
            Report(stage, 0, count, $"{stage}: streaming {count} samples" + (count != _n ? $" [{start}, {start + count}) of {_n}" : string.Empty));
            var adapter = _reporter.ForPass(stage);
            // A device engine is fed by one thread (libtorch parallelises each block on the device).
            int threads = _deviceEngine is null ? _options.Threads : 1;
            var worker = SamplePass.Run(_source, create, new SamplePassOptions(threads, _options.BlockSize, start, count), adapter, _cancel);
            DistributedPass.Reduce(worker, _options.Reducer);
            return worker;
        }

        private int ChooseHidden(SymmetricSpectrum spectrum, double noiseFloor, out bool estimated)
        {
            var values = spectrum.Values;
            string top = string.Join(", ", values.Take(Math.Min(values.Count, 24)).Select(v => v.ToString("G3")));
            Log($"T_2 spectrum (by |value|): {top}{(values.Count > 24 ? ", ..." : string.Empty)}; noise floor {noiseFloor:G3}");
            if (_options.Hidden is int given)
            {
                estimated = false;
                if (given < _d && Math.Abs(values[given - 1]) < _options.NoiseFloorMultiple * noiseFloor)
                    Log($"warning: eigenvalue {given} of T_2 ({values[given - 1]:G3}) is below {_options.NoiseFloorMultiple} x the noise floor: some neurons are not identifiable from these samples");
                return given;
            }
            estimated = true;
            double threshold = _options.NoiseFloorMultiple * noiseFloor;
            int m = values.Count(v => Math.Abs(v) > threshold);
            Log($"chose m = {m}: eigenvalues above {_options.NoiseFloorMultiple} x noise floor = {threshold:G3}" +
                (m > 0 && m < values.Count ? $"; gap |lambda_{m}| / |lambda_{m + 1}| = {Math.Abs(values[m - 1]) / Math.Max(Math.Abs(values[m]), 1e-300):G3}" : string.Empty));
            return m;
        }

        private sealed record CandidateState(int Index, ReluNetwork Moment, bool[] Flipped, double[][] Lambdas, double RelativeGap, double Residual, double MomentMse)
        {
            public ReluNetwork? Refined { get; set; }
            public double RefinedMse { get; set; } = double.NaN;
            public int Iterations { get; set; }
            public LearningCandidate Summary => new(Index, RelativeGap, Residual, MomentMse, RefinedMse, Iterations);
        }

        private CandidateState BuildCandidate(int r, PencilResult pencil, HermiteProjectionAccumulator<T> sums, double[] directions, int columns,
            int m, double[] u, double[] b, double t0, double[] t1, double[] t1z, double n)
        {
            // V: the candidate's m unit directions in z-space, column i.
            var v = new double[m * m];
            for (int k = 0; k < m; k++)
                for (int i = 0; i < m; i++)
                    v[k * m + i] = directions[k * columns + r * m + i];
            var gramV = new double[m * m];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++)
                {
                    double s = 0;
                    for (int k = 0; k < m; k++) s += v[k * m + i] * v[k * m + j];
                    gramV[i * m + j] = s;
                }
            // r_k with the control variate's own part added back for k = 2: E[p(z) He_2(<v, z>)] = v^T B v (section 3).
            var lambdas = new double[3][];
            for (int order = 2; order <= 4; order++)
            {
                var rhs = new double[m];
                for (int i = 0; i < m; i++)
                {
                    rhs[i] = sums.Sum(order, r * m + i) / n;
                    if (order == 2)
                        for (int p = 0; p < m; p++)
                            for (int q = 0; q < m; q++) rhs[i] += v[p * m + i] * b[p * m + q] * v[q * m + i];
                }
                var power = new double[m * m];
                for (int i = 0; i < m * m; i++) power[i] = Math.Pow(gramV[i], order);
                lambdas[order - 2] = DenseSolve.Solve(power, m, rhs);
            }
            // b_i = -lambda_3 / lambda_2, a_i = lambda_2 / phi(b_i) (section 5, pass 3).
            var a = new double[m];
            var bias = new double[m];
            for (int i = 0; i < m; i++)
            {
                double l2 = lambdas[0][i], l3 = lambdas[1][i];
                double bi = l2 != 0 ? -l3 / l2 : 0;
                bias[i] = Math.Clamp(double.IsFinite(bi) ? bi : 0, -BiasLimit, BiasLimit);
                a[i] = l2 / GaussianMath.NormalPdf(bias[i]);
            }
            // Flips: G mu = V^T (U^T t1); keep (a, w, b) where mu_i is closer to a_i Phi(b_i), else (a, -w, -b).
            var projectedT1 = new double[m];
            for (int i = 0; i < m; i++)
                for (int k = 0; k < m; k++) projectedT1[i] += v[k * m + i] * t1z[k];
            double[] mu = DenseSolve.Solve(gramV, m, projectedT1);
            var flipped = new bool[m];
            var w = new double[m * _d];
            for (int i = 0; i < m; i++)
            {
                double keep = a[i] * GaussianMath.NormalCdf(bias[i]);
                double flip = -a[i] * GaussianMath.NormalCdf(-bias[i]);
                flipped[i] = Math.Abs(mu[i] - flip) < Math.Abs(mu[i] - keep);
                double sign = flipped[i] ? -1 : 1;
                if (flipped[i]) bias[i] = -bias[i];
                double norm = 0;
                for (int k = 0; k < _d; k++)
                {
                    double value = 0;
                    for (int p = 0; p < m; p++) value += u[k * m + p] * v[p * m + i];
                    w[i * _d + k] = sign * value;
                    norm += value * value;
                }
                norm = Math.Sqrt(norm);
                for (int k = 0; k < _d; k++) w[i * _d + k] /= norm;
            }
            // Linear remainder from the Gaussian closed forms: E[relu(<w,x>+b)] = c_0(b), E[relu(<w,x>+b) x] = Phi(b) w.
            double c0 = t0;
            var c = (double[])t1.Clone();
            for (int i = 0; i < m; i++)
            {
                c0 -= a[i] * GaussianMath.ReluCoefficient(0, bias[i]);
                double phi = a[i] * GaussianMath.NormalCdf(bias[i]);
                for (int k = 0; k < _d; k++) c[k] -= phi * w[i * _d + k];
            }
            var network = new ReluNetwork(_d, a, w, bias, c0, c);
            double mse = HeldOutError(network).Mse;
            Log($"candidate {r}: moment estimate held-out MSE {mse:G4}, flips {flipped.Count(f => f)}");
            return new CandidateState(r, network, flipped, lambdas, pencil.RelativeGap, pencil.PolishedResidual, mse);
        }

        private const double BiasLimit = 12;

        /// <summary>A held-out MSE this small relative to Var y means the data are fitted exactly (noiseless labels).</summary>
        private const double ExactFitRelativeMse = 1e-12;

        private (CandidateState Chosen, (double Mse, double Variance) HeldOut) ChooseAndRefine(CandidateState[] candidates, double[] t1)
        {
            var ranked = candidates.OrderBy(c => double.IsNaN(c.MomentMse) ? double.PositiveInfinity : c.MomentMse).ToArray();
            if (!_options.Refine)
                return (ranked[0], HeldOutError(ranked[0].Moment));
            // Two stages: a small subsample first (enough for an exact fit of noiseless data, which then stops),
            // the whole refinement set only when the data are not fitted exactly (noisy labels).
            int parameters = candidates[0].Moment.Hidden * (_d + 2) + _d + 1;
            int small = Math.Min(_refineCount, Math.Max(20_000, 30 * parameters));
            using var quick = new Refinement(_localX.AsSpan(0, small * _d), _localY.AsSpan(0, small), _d, _torchDevice, _options.Threads);
            using var full = small < _refineCount ? new Refinement(_localX.AsSpan(0, _refineCount * _d), _localY.AsSpan(0, _refineCount), _d, _torchDevice, _options.Threads) : null;
            int toRefine = Math.Min(_options.RefinedCandidates, ranked.Length);
            CandidateState? best = null;
            for (int k = 0; k < toRefine; k++)
            {
                var candidate = ranked[k];
                Report(LearningStage.Refinement, k, toRefine, $"refining candidate {candidate.Index} on {small} samples");
                var (network, trainingMse, optimizer) = quick.Run(candidate.Moment, _options.MaxRefinementIterations, _cancel);
                int iterations = optimizer.Iterations;
                if (full is not null && !(trainingMse <= Refinement.ExactFitRelativeMse * quick.TargetVariance))
                {
                    Report(LearningStage.Refinement, k, toRefine, $"refining candidate {candidate.Index} on {_refineCount} samples");
                    (network, _, optimizer) = full.Run(network, _options.MaxRefinementIterations, _cancel);
                    iterations += optimizer.Iterations;
                }
                // Refinement moves freely between (a, w, b) and (a, -w, -b) + linear; settle each neuron by t1 again.
                network = FlipResolution.Resolve(network, t1, out bool[] flips);
                if (flips.Any(f => f)) Log($"candidate {candidate.Index}: {flips.Count(f => f)} neuron(s) flipped after refinement to match t1");
                candidate.Refined = network;
                candidate.Iterations = iterations;
                candidate.RefinedMse = HeldOutError(network).Mse;
                Log($"candidate {candidate.Index}: refined in {iterations} L-BFGS iterations, held-out MSE {candidate.RefinedMse:G4}");
                if (best is null || candidate.RefinedMse < best.RefinedMse) best = candidate;
                // An exact fit (noiseless data) cannot be beaten: skip the remaining candidates.
                var (_, variance) = HeldOutError(network);
                if (best.RefinedMse <= ExactFitRelativeMse * Math.Max(variance, 1e-300)) break;
            }
            return (best!, HeldOutError(best!.Refined!));
        }

        private (double Mse, double Variance) HeldOutError(ReluNetwork network)
        {
            int start = _refineCount, count = _heldOutCount;
            if (count == 0) { start = 0; count = _refineCount; }
            var prediction = new double[count];
            network.Evaluate(_localX.AsSpan(start * _d, count * _d), prediction);
            double sse = 0, sum = 0, sumSq = 0;
            for (int j = 0; j < count; j++)
            {
                double y = _localY[start + j], e = prediction[j] - y;
                sse += e * e; sum += y; sumSq += y * y;
            }
            double mean = sum / count;
            return (sse / count, Math.Max(0, sumSq / count - mean * mean));
        }

        private LearningResult LinearOnly(SymmetricSpectrum spectrum, double noiseFloor, double t0, double[] t1, Stopwatch clock, TimeSpan tPilot, TimeSpan tPass1)
        {
            Log("warning: no eigenvalue of T_2 stands above the noise floor; the data look linear, so only the linear remainder c0 + <c, x> is returned");
            var network = FitLinear();
            var held = HeldOutError(network);
            return new LearningResult
            {
                Network = network, MomentEstimate = network, Spectrum = spectrum.Values, NoiseFloor = noiseFloor, Hidden = 0,
                HiddenWasEstimated = true, Candidates = [], ChosenCandidate = -1, HeldOutMse = held.Mse, HeldOutVariance = held.Variance,
                Flipped = [], HermiteCoefficients = [], Samples = _n,
                Timings = new LearningTimings(tPilot, tPass1, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, Lap(clock)), Log = _reporter.Lines.ToArray(),
            };
        }

        /// <summary>Least squares of y on (1, x) over the in-memory refinement samples.</summary>
        private ReluNetwork FitLinear()
        {
            int p = _d + 1, count = _refineCount;
            var normal = new double[p * p];
            var rhs = new double[p];
            var row = new double[p];
            for (int j = 0; j < count; j++)
            {
                row[0] = 1;
                _localX.AsSpan(j * _d, _d).CopyTo(row.AsSpan(1));
                for (int r = 0; r < p; r++)
                {
                    rhs[r] += row[r] * _localY[j];
                    for (int c = 0; c < p; c++) normal[r * p + c] += row[r] * row[c];
                }
            }
            double[] beta = DenseSolve.Solve(normal, p, rhs);
            return new ReluNetwork(_d, [], [], [], beta[0], beta.AsSpan(1));
        }

        private string DescribeNonFinite()
        {
            const int Block = 4096;
            var x = new T[Block * _d];
            var y = new T[Block];
            for (long start = 0; start < _n; start += Block)
            {
                int count = (int)Math.Min(Block, _n - start);
                _source.Read(start, x.AsSpan(0, count * _d), y.AsSpan(0, count));
                for (int j = 0; j < count; j++)
                {
                    if (!T.IsFinite(y[j])) return $"Sample {start + j} has a non-finite y ({y[j]}): remove or fix it before learning.";
                    for (int i = 0; i < _d; i++)
                        if (!T.IsFinite(x[j * _d + i])) return $"Sample {start + j} has a non-finite x[{i}] ({x[j * _d + i]}): remove or fix it before learning.";
                }
            }
            return "The moment estimates overflowed: the samples are finite but too large in magnitude (rescale y).";
        }

        private void Log(string line) => _reporter.Log(line);

        private void Report(LearningStage stage, long done, long total, string message) => _reporter.Report(stage, done, total, message);

        private static TimeSpan Lap(Stopwatch clock) => LearningReporter.Lap(clock);
    }

    private static bool AllFinite(double[] values)
    {
        foreach (double v in values) if (!double.IsFinite(v)) return false;
        return true;
    }

    /// <summary>U^T A U for U d x m and A d x d (row-major).</summary>
    private static double[] Congruence(double[] u, double[] a, int d, int m)
    {
        var au = new double[d * m];
        for (int i = 0; i < d; i++)
            for (int k = 0; k < d; k++)
            {
                double aik = a[i * d + k];
                if (aik == 0) continue;
                for (int j = 0; j < m; j++) au[i * m + j] += aik * u[k * m + j];
            }
        var result = new double[m * m];
        for (int i = 0; i < d; i++)
            for (int p = 0; p < m; p++)
            {
                double uip = u[i * m + p];
                for (int q = 0; q < m; q++) result[p * m + q] += uip * au[i * m + q];
            }
        for (int p = 0; p < m; p++)
            for (int q = p + 1; q < m; q++)
                result[p * m + q] = result[q * m + p] = 0.5 * (result[p * m + q] + result[q * m + p]);
        return result;
    }

    /// <summary>U^T v for U d x m.</summary>
    private static double[] TransposeTimes(double[] u, double[] v, int d, int m)
    {
        var result = new double[m];
        for (int i = 0; i < d; i++)
            for (int p = 0; p < m; p++) result[p] += u[i * m + p] * v[i];
        return result;
    }

    /// <summary>
    /// T_3 = E[y~ H_3(z)] = M_3 - (delta_ij M_1k + delta_ik M_1j + delta_jk M_1i) from the weight-0 moments (section 4, projected).
    /// </summary>
    private static double[] ThirdOrderTensor<T>(ProjectedTensorAccumulator<T> acc, int weight, int m, double n) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var t = new double[m * m * m];
        var m1 = new double[m];
        acc.CopyThirdMoment(weight, t);
        acc.CopyFirstMoment(weight, m1);
        for (int i = 0; i < t.Length; i++) t[i] /= n;
        for (int i = 0; i < m; i++) m1[i] /= n;
        for (int i = 0; i < m; i++)
            for (int k = 0; k < m; k++)
            {
                t[(i * m + i) * m + k] -= m1[k];
                t[(i * m + k) * m + i] -= m1[k];
                t[(k * m + i) * m + i] -= m1[k];
            }
        return t;
    }

    /// <summary>
    /// T_4(., ., ., g) = E[y~ H_4(z)(., ., ., g)] from the moments of the weight y~ &lt;z, g&gt; (index 1 + r) and of y~ (index 0):
    /// M3_g - sym(delta (x) M1_g) - (g_k M2_ij + g_j M2_ik + g_i M2_jk) + M0 (delta_ij g_k + delta_ik g_j + delta_jk g_i).
    /// </summary>
    private static double[] FourthOrderContraction<T>(ProjectedTensorAccumulator<T> acc, int r, double[] g, int restarts, int m, double n)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double[] t = ThirdOrderTensor(acc, 1 + r, m, n);
        var m2 = new double[m * m];
        acc.CopySecondMoment(0, m2);
        double m0 = acc.WeightSum(0) / n;
        for (int i = 0; i < m2.Length; i++) m2[i] /= n;
        var gr = new double[m];
        for (int i = 0; i < m; i++) gr[i] = g[i * restarts + r];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                for (int k = 0; k < m; k++)
                    t[(i * m + j) * m + k] -= gr[k] * m2[i * m + j] + gr[j] * m2[i * m + k] + gr[i] * m2[j * m + k];
        for (int i = 0; i < m; i++)
            for (int k = 0; k < m; k++)
            {
                t[(i * m + i) * m + k] += m0 * gr[k];
                t[(i * m + k) * m + i] += m0 * gr[k];
                t[(k * m + i) * m + i] += m0 * gr[k];
            }
        return t;
    }
}
