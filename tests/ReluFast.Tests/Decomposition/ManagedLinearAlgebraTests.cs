using ReluFast.Decomposition;
using ReluFast.Sampling;
using static TorchSharp.torch;

namespace ReluFast.Tests.Decomposition;

/// <summary>
/// The managed dense linear algebra (<see cref="SymmetricEigen"/>, <see cref="RealEigen"/>, <see cref="JacobiSvd"/>,
/// <see cref="HouseholderQr"/>, <see cref="DenseMatrix"/>) against closed forms and against libtorch. Every tolerance is a
/// normwise backward-error bound c n u ||A|| with c = 10 (the Householder, QL/QR and Jacobi methods are backward stable with
/// errors of a modest multiple of n u ||A||; Higham, "Accuracy and Stability of Numerical Algorithms", chapters 19 and 20),
/// carried to eigenvalues by Weyl's theorem (symmetric: |delta lambda| &lt;= ||E||_2), by the eigenvalue condition numbers
/// (nonsymmetric: |delta lambda| &lt;= kappa(lambda) ||E||_2) and to eigenvectors by the gap (sin theta &lt;= ||E||_2 / gap).
/// A wrong rotation or a sign error gives errors of order ||A||, ten orders above these bounds.
/// </summary>
public sealed class ManagedLinearAlgebraTests
{
    private const double U = 1.1102230246251565e-16; // unit round-off 2^-53
    private const double C = 10;

    // ---- symmetric eigendecomposition ----

    [Fact]
    public void SymmetricClosedFormsAreExact()
    {
        var (values, vectors) = SymmetricEigen.Decompose([2, 1, 1, 2], 2);
        Assert.Equal(1, values[0], 1e-15);
        Assert.Equal(3, values[1], 1e-15);
        Assert.Equal(1 / Math.Sqrt(2), Math.Abs(vectors[1]), 1e-15);
        Assert.Equal(-Math.Sign(vectors[0]), Math.Sign(vectors[2])); // (1, -1) / sqrt 2 for value 1

        var (one, v1) = SymmetricEigen.Decompose([-4.5], 1);
        Assert.Equal(-4.5, one[0]);
        Assert.Equal(1, Math.Abs(v1[0]));

        // the zero matrix: eigenvalues 0 and an orthonormal V
        var (zeros, vz) = SymmetricEigen.Decompose(new double[25], 5);
        Assert.All(zeros, z => Assert.Equal(0, z));
        Assert.True(Orthogonality(vz, 5, 5) <= C * 5 * U);

        // the second difference matrix: lambda_k = 2 - 2 cos(k pi / (n + 1))
        const int n = 40;
        var t = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            t[i * n + i] = 2;
            if (i > 0) t[i * n + i - 1] = t[(i - 1) * n + i] = -1;
        }
        var (tv, tq) = SymmetricEigen.Decompose(t, n);
        for (int k = 1; k <= n; k++) Assert.True(Math.Abs(tv[k - 1] - (2 - 2 * Math.Cos(k * Math.PI / (n + 1)))) <= C * n * U * Frobenius(t));
        AssertSymmetricBackwardStable(t, n, tv, tq);
    }

    [Fact]
    public void RepeatedEigenvaluesKeepAnOrthonormalBasis()
    {
        // Q diag(1, 1, 1, 2, 2, -3) Q^T: the repeated values' eigenvectors are any orthonormal basis of their space
        const int n = 6;
        var q = Orthogonal(n, 3);
        double[] lambda = [1, 1, 1, 2, 2, -3];
        var a = FromEigen(q, lambda, n);
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        double[] expected = [-3, 1, 1, 1, 2, 2];
        double bound = C * n * U * Frobenius(a) + Formed(n, q, q, 3);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(values[k] - expected[k]) <= bound, $"value {k}: {values[k]}");
        AssertSymmetricBackwardStable(a, n, values, vectors);
    }

    /// <summary>
    /// The values-only path (no V formed or rotated) gives the eigenvalues of the full decomposition within Weyl's bound: random
    /// matrices up to the span pass's orders, known spectra with repeated values, and a matrix whose zero rows take the reduction's
    /// zero-scale branch.
    /// </summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(7, 3)]
    [InlineData(57, 4)]
    [InlineData(210, 5)]
    public void ValuesAloneAreTheDecompositionsValues(int n, ulong seed)
    {
        var a = Symmetric(Random(n * n, seed), n);
        // zero out a row and column in the middle: the Householder step of that row has nothing to reflect
        if (n > 4)
            for (int k = 0; k < n; k++) a[2 * n + k] = a[k * n + 2] = 0;
        double[] values = SymmetricEigen.Values(a, n), reference = SymmetricEigen.Decompose(a, n).Values;
        double bound = 2 * C * n * U * Frobenius(a);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(values[k] - reference[k]) <= bound, $"value {k}: {values[k]} vs {reference[k]}");
        var q = Orthogonal(6, seed);
        double[] lambda = [1, 1, 1, 2, 2, -3];
        double[] known = SymmetricEigen.Values(FromEigen(q, lambda, 6), 6), expected = [-3, 1, 1, 1, 2, 2];
        for (int k = 0; k < 6; k++) Assert.Equal(expected[k], known[k], 1e-13);
    }

    [Theory]
    [InlineData(3, 1)]
    [InlineData(10, 2)]
    [InlineData(33, 3)]
    [InlineData(64, 4)]
    public void SymmetricRandomMatricesAgreeWithLibtorch(int n, ulong seed)
    {
        var a = Symmetric(Random(n * n, seed), n);
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        AssertSymmetricBackwardStable(a, n, values, vectors);
        using var scope = NewDisposeScope();
        var (torchValues, torchVectors) = linalg.eigh(TorchTensors.Matrix(a, n, n));
        double[] reference = TorchTensors.ToArray(torchValues), referenceVectors = TorchTensors.ToArray(torchVectors);
        double bound = 2 * C * n * U * Frobenius(a); // Weyl: each solve is exact for A + E, ||E||_2 <= c n u ||A||_F
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(values[k] - reference[k]) <= bound, $"value {k}: {values[k]} vs {reference[k]}");
        // eigenvectors agree up to sign within ||E|| / gap (Davis-Kahan)
        for (int k = 0; k < n; k++)
        {
            double gap = double.PositiveInfinity;
            for (int j = 0; j < n; j++) if (j != k) gap = Math.Min(gap, Math.Abs(values[j] - values[k]));
            // min(|v - w|, |v + w|) = 2 sin(theta / 2), within a factor 2 of sin theta for small angles
            double plus = 0, minus = 0;
            for (int i = 0; i < n; i++)
            {
                plus += Math.Pow(vectors[i * n + k] + referenceVectors[i * n + k], 2);
                minus += Math.Pow(vectors[i * n + k] - referenceVectors[i * n + k], 2);
            }
            double sine = Math.Sqrt(Math.Min(plus, minus));
            Assert.True(sine <= 2 * (2 * bound / gap + C * n * U), $"vector {k}: sin {sine}, gap {gap}");
        }
    }

    [Fact]
    public void GradedSymmetricMatricesKeepTheirSmallEigenvaluesToAbsoluteAccuracy()
    {
        // eigenvalues 10^0 .. 10^-15 in a random basis: absolute accuracy c n u ||A|| (relative accuracy is not promised)
        const int n = 16;
        var q = Orthogonal(n, 5);
        var lambda = Enumerable.Range(0, n).Select(k => Math.Pow(10, -k)).ToArray();
        var a = FromEigen(q, lambda, n);
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        var sorted = lambda.OrderBy(v => v).ToArray();
        double bound = C * n * U * Frobenius(a) + Formed(n, q, q, 1);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(values[k] - sorted[k]) <= bound, $"value {k}: {values[k]} vs {sorted[k]}");
        AssertSymmetricBackwardStable(a, n, values, vectors);
    }

    [Theory]
    [InlineData(1e200)]
    [InlineData(1e-200)]
    public void HugeAndTinyMatricesAreScaledIntoRange(double size)
    {
        // t B has the eigen- and singular values of B times t: without scaling, squares of 1e200 overflow (tql2's e[l] e[l + 1]
        // gave NaN eigenvalues for T_2 of a sample with x = 1e90) and squares of 1e-200 underflow to 0
        const int n = 12;
        var b = Random(n * n, 61);
        var a = b.Select(v => v * size).ToArray();
        var symmetric = Symmetric(b, n);
        var expected = SymmetricEigen.Values(symmetric, n);
        var found = SymmetricEigen.Values(symmetric.Select(v => v * size).ToArray(), n);
        double bound = 2 * C * n * U * Frobenius(symmetric);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(found[k] / size - expected[k]) <= bound, $"eigenvalue {k}: {found[k]}");
        var singular = JacobiSvd.Decompose(a, n, n);
        var reference = JacobiSvd.Values(b, n, n);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(singular.Values[k] / size - reference[k]) <= 2 * C * 2 * n * U * Frobenius(b));
        var general = RealEigen.Decompose(a, n);
        var generalReference = RealEigen.Decompose(b, n);
        Assert.All(general.Real.Concat(general.Imaginary), v => Assert.True(double.IsFinite(v)));
        Assert.Equal(generalReference.Real.Sum(), general.Real.Sum() / size, 1e-10 * Frobenius(b));
        AssertEigenBackwardStable(b, n, new RealEigenResult(general.Real.Select(v => v / size).ToArray(),
            general.Imaginary.Select(v => v / size).ToArray(), general.Vectors));
    }

    [Fact]
    public void NonFiniteInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => SymmetricEigen.Decompose([1, double.NaN, 0, 1], 2));
        Assert.Throws<ArgumentException>(() => RealEigen.Decompose([1, double.PositiveInfinity, 0, 1], 2));
        Assert.Throws<ArgumentException>(() => JacobiSvd.Decompose([1, double.NaN], 1, 2));
    }

    // ---- nonsymmetric eigendecomposition ----

    [Fact]
    public void NonsymmetricClosedForms()
    {
        // a rotation: eigenvalues +-i, eigenvectors (1, -+i) / sqrt 2 up to a phase
        var rotation = RealEigen.Decompose([0, 1, -1, 0], 2);
        Assert.Equal(0, rotation.Real[0], 1e-15);
        Assert.Equal(1, Math.Abs(rotation.Imaginary[0]), 1e-15);
        Assert.Equal(-rotation.Imaginary[0], rotation.Imaginary[1]);
        Assert.True(rotation.Imaginary[0] > 0);
        AssertEigenBackwardStable([0, 1, -1, 0], 2, rotation);

        // upper triangular: the diagonal exactly
        double[] triangular = [3, 1, 4, 0, -2, 5, 0, 0, 0.5];
        var tri = RealEigen.Decompose(triangular, 3);
        Assert.Equal(new[] { -2, 0.5, 3 }, tri.Real.OrderBy(v => v).ToArray());
        Assert.All(tri.Imaginary, v => Assert.Equal(0, v));
        AssertEigenBackwardStable(triangular, 3, tri);

        // 1 x 1 and the zero matrix
        var single = RealEigen.Decompose([7], 1);
        Assert.Equal(7, single.Real[0]);
        Assert.Equal(1, Math.Abs(single.Vectors[0]));
        var zero = RealEigen.Decompose(new double[16], 4);
        Assert.All(zero.Real, v => Assert.Equal(0, v));
        AssertEigenBackwardStable(new double[16], 4, zero);

        // a defective Jordan block: eigenvalue 2 (twice) to sqrt(u), the backward error to round-off
        double[] jordan = [2, 1, 0, 2];
        var j = RealEigen.Decompose(jordan, 2);
        Assert.All(j.Real, v => Assert.True(Math.Abs(v - 2) <= 4 * Math.Sqrt(U)));
        AssertEigenBackwardStable(jordan, 2, j);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(12, 2)]
    [InlineData(40, 3)]
    [InlineData(64, 4)]
    public void PencilLikeMatricesHaveTheirRealEigenvaluesToTheConditionBound(int n, ulong seed)
    {
        // A = X diag(d) X^-1 with random X (unit columns) and known distinct d, as the pencil C(u) B^-1 = W D W^-1
        var x = Random(n * n, seed);
        DenseMatrix.NormalizeColumns(x, n, n);
        var d = Random(n, seed + 100);
        var xInverse = Inverse(x, n);
        var scaled = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++) scaled[i * n + k] = x[i * n + k] * d[k];
        var a = DenseMatrix.Multiply(scaled, n, n, xInverse, n);
        var eigen = RealEigen.Decompose(a, n);
        AssertEigenBackwardStable(a, n, eigen);
        // |lambda_k - d_k| <= kappa_k (||E_solve|| + ||E_formed||): kappa_k = |x_k| |row k of X^-1| (x_k unit); forming A from
        // X, d, X^-1 in floating point perturbs it by at most n u |X| |D| |X^-1| in norm.
        double formed = n * U * Frobenius(x) * d.Max(Math.Abs) * Frobenius(xInverse);
        double solve = C * n * U * Frobenius(a);
        var found = eigen.Real.Select((v, k) => (v, k)).ToArray();
        Assert.All(eigen.Imaginary, v => Assert.Equal(0, v));
        for (int k = 0; k < n; k++)
        {
            double kappa = Math.Sqrt(SumSquares(xInverse.AsSpan(k * n, n)));
            double nearest = found.Min(f => Math.Abs(f.v - d[k]));
            Assert.True(nearest <= kappa * (solve + formed), $"eigenvalue {d[k]}: nearest {nearest}, bound {kappa * (solve + formed)}");
        }
        // and libtorch's eigenvalues within the same bound
        using var scope = NewDisposeScope();
        var torchValues = TorchTensors.ToArray(linalg.eigvals(TorchTensors.Matrix(a, n, n)).real);
        var ours = eigen.Real.OrderBy(v => v).ToArray();
        var theirs = torchValues.OrderBy(v => v).ToArray();
        double largestKappa = Enumerable.Range(0, n).Max(k => Math.Sqrt(SumSquares(xInverse.AsSpan(k * n, n))));
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(ours[k] - theirs[k]) <= 2 * largestKappa * (solve + formed));
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(32, 2)]
    public void NearlyTriangularPencilsKeepAccurateEigenvectors(int n, ulong seed)
    {
        // R D R^-1 with R upper triangular (the learner's pencil of the factors W~ = R of a QR): triangular up to round-off. A
        // balancing on off-diagonal norms alone scales such a matrix by up to 1e13 and left eigenvector residuals of 5e-4 (m = 8).
        var r = Random(n * n, seed);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) r[i * n + j] = 0;
        DenseMatrix.NormalizeColumns(r, n, n);
        var d = Random(n, seed + 7);
        var scaled = Scale(r, n, d);
        var a = DenseMatrix.Multiply(scaled, n, n, Inverse(r, n), n);
        AssertEigenBackwardStable(a, n, RealEigen.Decompose(a, n));
    }

    [Theory]
    [InlineData(5, 7)]
    [InlineData(30, 8)]
    [InlineData(64, 9)]
    public void GeneralRandomMatricesIncludingComplexPairsAreBackwardStable(int n, ulong seed)
    {
        var a = Random(n * n, seed);
        var eigen = RealEigen.Decompose(a, n);
        Assert.Contains(eigen.Imaginary, v => v != 0); // a random real matrix has complex pairs
        AssertEigenBackwardStable(a, n, eigen);
        // pairs are adjacent and conjugate, the positive imaginary part first
        for (int k = 0; k < n; k++)
        {
            if (eigen.Imaginary[k] == 0) continue;
            Assert.True(eigen.Imaginary[k] > 0 && k + 1 < n, $"value {k}");
            Assert.Equal(eigen.Real[k], eigen.Real[k + 1]);
            Assert.Equal(-eigen.Imaginary[k], eigen.Imaginary[k + 1]);
            k++;
        }
        // sum and sum of squares of the eigenvalues are trace(A + E) and trace((A + E)^2): within sqrt(n) |E| and 2 |A| |E| plus the
        // rounding of the sums (|sum lambda^2| <= |A|_F^2 by Schur's inequality)
        double trace = 0, trace2 = 0;
        var a2 = DenseMatrix.Multiply(a, n, n, a, n);
        for (int i = 0; i < n; i++)
        {
            trace += a[i * n + i];
            trace2 += a2[i * n + i];
        }
        double sum = eigen.Real.Sum(), sum2 = 0;
        for (int k = 0; k < n; k++) sum2 += eigen.Real[k] * eigen.Real[k] - eigen.Imaginary[k] * eigen.Imaginary[k];
        double f = Frobenius(a);
        Assert.True(Math.Abs(sum - trace) <= (C + 1) * n * Math.Sqrt(n) * U * f, $"sum {sum} vs trace {trace}");
        Assert.True(Math.Abs(sum2 - trace2) <= (2 * C + 2) * n * U * f * f, $"sum of squares {sum2} vs trace(A^2) {trace2}");
    }

    [Fact]
    public void BadlyScaledMatricesAreBalanced()
    {
        // D A D^-1 with D = diag(1, 1e6, 1e-6): the same eigenvalues as A, which balancing recovers at A's accuracy
        double[] a = [4, 1, 2, 1, 3, 0.5, 2, 0.5, 1];
        double[] scale = [1, 1e6, 1e-6];
        var b = new double[9];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) b[i * 3 + j] = scale[i] * a[i * 3 + j] / scale[j];
        var expected = SymmetricEigen.Values(a, 3);
        var found = RealEigen.Decompose(b, 3).Real.OrderBy(v => v).ToArray();
        for (int k = 0; k < 3; k++) Assert.True(Math.Abs(found[k] - expected[k]) <= C * 3 * U * Frobenius(a), $"{found[k]} vs {expected[k]}");
    }

    // ---- singular value decomposition ----

    [Fact]
    public void SvdClosedFormsAndEdgeCases()
    {
        // U diag(5, 3, 0.5) V^T from known orthogonal factors
        const int n = 3;
        var left = Orthogonal(n, 11);
        var right = Orthogonal(n, 12);
        double[] sigma = [5, 3, 0.5];
        var a = DenseMatrix.MultiplyTransposed(Scale(left, n, sigma), n, n, right, n);
        var svd = JacobiSvd.Decompose(a, n, n);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(svd.Values[k] - sigma[k]) <= C * n * U * Frobenius(a) + Formed(n, left, right, 5));
        AssertSvdBackwardStable(a, n, n, svd);

        // rank one: u v^T has singular values |u| |v|, 0, 0
        double[] u = [1, 2, 2], v = [3, 4];
        var outer = new double[6];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 2; j++) outer[i * 2 + j] = u[i] * v[j];
        var r1 = JacobiSvd.Decompose(outer, 3, 2);
        Assert.Equal(15, r1.Values[0], 1e-13);
        Assert.True(r1.Values[1] <= C * 3 * U * 15);
        AssertSvdBackwardStable(outer, 3, 2, r1);
        var wide = JacobiSvd.Decompose(DenseMatrix.Transpose(outer, 3, 2), 2, 3);
        Assert.Equal(15, wide.Values[0], 1e-13);
        AssertSvdBackwardStable(DenseMatrix.Transpose(outer, 3, 2), 2, 3, wide);

        // the zero matrix: zero values, orthonormal (completed) U and V
        var zero = JacobiSvd.Decompose(new double[12], 4, 3);
        Assert.All(zero.Values, s => Assert.Equal(0, s));
        AssertSvdBackwardStable(new double[12], 4, 3, zero);

        // 1 x 1
        var single = JacobiSvd.Decompose([-2.5], 1, 1);
        Assert.Equal(2.5, single.Values[0]);
        Assert.Equal(-2.5, single.U[0] * single.Values[0] * single.V[0]);
    }

    [Theory]
    [InlineData(5, 5, 1)]
    [InlineData(25, 5, 2)]    // the Khatri-Rao shape of the diagonal solve at m = 5
    [InlineData(7, 30, 3)]
    [InlineData(64, 64, 4)]
    [InlineData(4096, 64, 5)] // the same at m = 64
    public void SvdOfRandomMatricesAgreesWithLibtorch(int rows, int columns, ulong seed)
    {
        var a = Random(rows * columns, seed);
        var svd = JacobiSvd.Decompose(a, rows, columns);
        AssertSvdBackwardStable(a, rows, columns, svd);
        using var scope = NewDisposeScope();
        var reference = TorchTensors.ToArray(linalg.svdvals(TorchTensors.Matrix(a, rows, columns)));
        double bound = 2 * C * Math.Max(rows, columns) * U * Frobenius(a); // Weyl
        for (int k = 0; k < svd.Values.Length; k++) Assert.True(Math.Abs(svd.Values[k] - reference[k]) <= bound);
    }

    [Fact]
    public void IllConditionedAndRankDeficientSvd()
    {
        // singular values 1 .. 1e-14 and two exact zeros: each to c n u ||A|| absolutely
        const int n = 12;
        var left = Orthogonal(n, 21);
        var right = Orthogonal(n, 22);
        var sigma = Enumerable.Range(0, n).Select(k => k < n - 2 ? Math.Pow(10, -1.4 * k) : 0).ToArray();
        var a = DenseMatrix.MultiplyTransposed(Scale(left, n, sigma), n, n, right, n);
        var svd = JacobiSvd.Decompose(a, n, n);
        double bound = C * n * U * Frobenius(a) + Formed(n, left, right, 1);
        for (int k = 0; k < n; k++) Assert.True(Math.Abs(svd.Values[k] - sigma[k]) <= bound, $"value {k}: {svd.Values[k]} vs {sigma[k]}");
        AssertSvdBackwardStable(a, n, n, svd);
    }

    // ---- QR ----

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(6, 4, 2)]
    [InlineData(4, 6, 3)]
    [InlineData(50, 20, 4)]
    public void QrIsBackwardStableAndMatchesLibtorchsR(int rows, int columns, ulong seed)
    {
        var a = Random(rows * columns, seed);
        var (q, r) = HouseholderQr.Decompose(a, rows, columns);
        int k = Math.Min(rows, columns);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < i; j++) Assert.Equal(0, r[i * columns + j]);
        var product = DenseMatrix.Multiply(q, rows, k, r, columns);
        Assert.True(Difference(product, a) <= C * rows * U * Frobenius(a));
        Assert.True(Orthogonality(q, rows, k) <= C * rows * U);
        // R is unique given LAPACK's signs; it moves by at most cond(A) times the backward error (A of full rank)
        using var scope = NewDisposeScope();
        var reference = TorchTensors.ToArray(linalg.qr(TorchTensors.Matrix(a, rows, columns)).R);
        // (the leading k columns decide R's first k columns)
        var leading = new double[rows * k];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < k; j++) leading[i * k + j] = a[i * columns + j];
        var s = JacobiSvd.Values(leading, rows, k);
        double condition = s[0] / s[^1];
        Assert.True(Difference(r, reference) <= 2 * condition * C * rows * U * Frobenius(a), $"R differs by {Difference(r, reference)}");
    }

    // ---- products ----

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 0, 5)]
    [InlineData(7, 13, 7)]
    [InlineData(5, 9, 8)]
    [InlineData(6, 32, 33)]
    [InlineData(33, 17, 70)]
    [InlineData(4, 1024, 41)]
    public void ProductIsTheInOrderSumToTheBit(int rows, int inner, int columns)
    {
        // c_ij = (.. (b_0j a_i0 + 0) + b_1j a_i1 ..) unfused, p in order: the sums of the row-by-row MultiplyAdd it replaced
        var a = Random(rows * inner, 61);
        var b = Random(inner * columns, 62);
        if (a.Length > 2) { a[1] = double.NaN; a[2] = -0.0; }
        var c = DenseMatrix.Multiply(a, rows, inner, b, columns);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                double sum = 0;
                for (int p = 0; p < inner; p++) sum = b[p * columns + j] * a[i * inner + p] + sum;
                Assert.Equal(BitConverter.DoubleToInt64Bits(sum), BitConverter.DoubleToInt64Bits(c[i * columns + j]));
            }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(29)]
    [InlineData(64)]
    public void JacobiRotationIsTheScalarLoopToTheBitOnEveryWidth(int n)
    {
        // (c x - s y, s x + c y) unfused, element by element: the loop the vector paths replaced
        var x = Random(n, 71);
        var y = Random(n, 72);
        x[0] = -0.0;
        if (n > 2) y[2] = 1e-310; // a subnormal stays what the scalar products make of it
        const double C = 0.8, S = -0.6000000000000001;
        foreach (int width in new[] { 512, 256, 64 })
        {
            double[] xr = (double[])x.Clone(), yr = (double[])y.Clone();
            JacobiSvd.Rotate(xr, yr, C, S, width);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(C * x[i] - S * y[i]), BitConverter.DoubleToInt64Bits(xr[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(S * x[i] + C * y[i]), BitConverter.DoubleToInt64Bits(yr[i]));
            }
        }
    }

    // ---- pseudo-inverse and least squares ----

    [Fact]
    public void LeastSquaresClosedForms()
    {
        // columns 1 and 2 equal, column 3 independent: the solutions are (t, 2 - t, 1), the shortest (1, 1, 1)
        double[] a = [1, 1, 0, 2, 2, 1, 0, 0, 3, 1, 1, 1];
        double[] b = [2, 5, 3, 3];
        var x = DenseMatrix.LeastSquares(a, 4, 3, b, 1);
        var sa = JacobiSvd.Values(a, 4, 3); // rank 2: the error bound takes the condition of the rank-2 part
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(x[i] - 1) <= C * 4 * U * sa[0] / sa[1] * Math.Sqrt(3), $"x[{i}] = {x[i]}");
        // the zero matrix: the zero solution (no NaN from 1 / 0)
        Assert.All(DenseMatrix.LeastSquares(new double[6], 3, 2, [1, 2, 3], 1), v => Assert.Equal(0, v));
        // a well-conditioned square system to round-off
        const int n = 10;
        var m = Random(n * n, 31);
        for (int i = 0; i < n; i++) m[i * n + i] += 2 * Math.Sqrt(n);
        var truth = Random(n, 32);
        var rhs = DenseMatrix.Multiply(m, n, n, truth, 1);
        var solved = DenseMatrix.LeastSquares(m, n, n, rhs, 1);
        var s = JacobiSvd.Values(m, n, n);
        double bound = C * n * U * s[0] / s[^1] * Math.Sqrt(SumSquares(truth));
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(solved[i] - truth[i]) <= bound);
    }

    [Theory]
    [InlineData(12, 4, 3, 1)]
    [InlineData(25, 5, 6, 2)]
    [InlineData(64, 64, 1, 3)]
    public void LeastSquaresAgreesWithLibtorch(int rows, int columns, int rhs, ulong seed)
    {
        var a = Random(rows * columns, seed);
        var b = Random(rows * rhs, seed + 50);
        var x = DenseMatrix.LeastSquares(a, rows, columns, b, rhs);
        using var scope = NewDisposeScope();
        var reference = TorchTensors.ToArray(TorchTensors.LeastSquares(TorchTensors.Matrix(a, rows, columns), TorchTensors.Matrix(b, rows, rhs)));
        // both are pinv(A) B for a full-rank A to within cond(A)^2 c n u |B| (the normwise bound for least squares)
        var s = JacobiSvd.Values(a, rows, columns);
        double condition = s[0] / s[^1];
        double bound = 2 * C * Math.Max(rows, columns) * U * condition * condition * Frobenius(b) / s[0];
        Assert.True(Difference(x, reference) <= bound, $"differ by {Difference(x, reference)}, bound {bound}");
    }

    [Theory]
    [InlineData(1024, 32, 33, 71, 1.0)]
    [InlineData(40, 6, 3, 72, 1e200)]
    [InlineData(40, 6, 3, 73, 1e-200)]
    public void TallLeastSquaresIsThePseudoInverseTimesB(int rows, int columns, int rhs, ulong seed, double magnitude)
    {
        // A tall A is solved as pinv(R) Q^T B without forming pinv(A): it must agree with pinv(A) B, formed from A's SVD, to the
        // least-squares bound, also where A's entries need scaling into the safe range first
        var a = Random(rows * columns, seed).Select(v => v * magnitude).ToArray();
        var b = Random(rows * rhs, seed + 1);
        var x = DenseMatrix.LeastSquares(a, rows, columns, b, rhs);
        var p = DenseMatrix.PseudoInverse(a, rows, columns, U * 2 * Math.Max(rows, columns));
        var reference = DenseMatrix.Multiply(p, columns, rows, b, rhs);
        var s = JacobiSvd.Values(a, rows, columns);
        double condition = s[0] / s[^1];
        // compared as magnitude x, whose entries are of order one (their squares would overflow at 1e200)
        double bound = 2 * C * rows * U * condition * condition * Frobenius(b) / (s[0] / magnitude);
        double difference = Difference(x.Select(v => v * magnitude).ToArray(), reference.Select(v => v * magnitude).ToArray());
        Assert.True(difference <= bound, $"differ by {difference}, bound {bound}");
        // the residual is orthogonal to the columns of A (the normal equations) to round-off
        var residual = DenseMatrix.Multiply(a, rows, columns, x, rhs);
        for (int e = 0; e < residual.Length; e++) residual[e] = b[e] - residual[e];
        var normal = DenseMatrix.Multiply(DenseMatrix.Transpose(a, rows, columns), columns, rows, residual, rhs);
        Assert.True(normal.Max(Math.Abs) <= C * rows * U * s[0] * Frobenius(b) * condition, $"A^T r = {normal.Max(Math.Abs)}");
    }

    [Theory]
    [InlineData(50, 7, 3)]
    [InlineData(1, 1, 2)]
    [InlineData(4, 9, 2)]
    public void LeastSquaresFromColumnsIsLeastSquaresToTheBit(int rows, int columns, int rhs)
    {
        // the polish hands its Khatri-Rao matrix over column by column and lets the QR overwrite it: the same operations, the same bits
        var a = Random(rows * columns, 81);
        var b = Random(rows * rhs, 82);
        var columnsOfA = DenseMatrix.Transpose(a, rows, columns);
        var x = DenseMatrix.LeastSquaresInPlace(columnsOfA, rows, columns, b, rhs);
        var reference = DenseMatrix.LeastSquares(a, rows, columns, b, rhs);
        Assert.Equal(reference.Select(BitConverter.DoubleToInt64Bits), x.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void RankCutFollowsTheTorchRule()
    {
        // A = u v^T + 1e-17 w z^T: the second singular value is below s_max u max(m, n), so it is cut as libtorch cuts it
        const int rows = 6, columns = 4;
        var u = Random(rows, 41);
        var v = Random(columns, 42);
        var w = Random(rows, 43);
        var z = Random(columns, 44);
        var a = new double[rows * columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) a[i * columns + j] = u[i] * v[j] + 1e-17 * w[i] * z[j];
        var b = Random(rows, 45);
        var x = DenseMatrix.LeastSquares(a, rows, columns, b, 1);
        using var scope = NewDisposeScope();
        var reference = TorchTensors.ToArray(TorchTensors.LeastSquares(TorchTensors.Matrix(a, rows, columns), TorchTensors.Matrix(b, rows, 1)));
        double scale = Math.Sqrt(SumSquares(b)) / (Math.Sqrt(SumSquares(u)) * Math.Sqrt(SumSquares(v)));
        Assert.True(Difference(x, reference) <= 2 * C * rows * U * scale, $"differ by {Difference(x, reference)}");
        // the rank-one solution: x = v (u^T b) / (|u|^2 |v|^2)
        double ub = 0;
        for (int i = 0; i < rows; i++) ub += u[i] * b[i];
        for (int j = 0; j < columns; j++) Assert.True(Math.Abs(v[j] * ub / (SumSquares(u) * SumSquares(v)) - x[j]) <= 2 * C * rows * U * scale);
    }

    [Fact]
    public void SymmetricPseudoInverseAgreesWithLibtorch()
    {
        // Q = I - J / 4 (J all ones) is orthogonal and symmetric with dyadic entries, so A = Q diag(l) Q^T is formed exactly and its
        // null space (three zero eigenvalues) is exact; pinv(A + E) - pinv(A) is within |E| / min |l|^2 of the kept values.
        const int n = 8;
        var q = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) q[i * n + j] = (i == j ? 1 : 0) - 0.25;
        double[] lambda = [3, -2, 1, 0.5, -0.25, 0, 0, 0];
        var a = FromEigen(q, lambda, n);
        var p = DenseMatrix.SymmetricPseudoInverse(a, n);
        var expected = FromEigen(q, lambda.Select(l => l != 0 ? 1 / l : 0).ToArray(), n);
        double bound = C * n * U * Frobenius(a) / (0.25 * 0.25);
        Assert.True(Difference(p, expected) <= bound, $"differs from Q diag(1/l) Q^T by {Difference(p, expected)}");
        using var scope = NewDisposeScope();
        var reference = TorchTensors.ToArray(linalg.pinv(TorchTensors.Matrix(a, n, n), hermitian: true));
        Assert.True(Difference(p, reference) <= 2 * bound, $"differs from libtorch's by {Difference(p, reference)}");
    }

    // ---- helpers ----

    private static void AssertSymmetricBackwardStable(double[] a, int n, double[] values, double[] vectors)
    {
        var av = DenseMatrix.Multiply(a, n, n, vectors, n);
        var vl = Scale(vectors, n, values);
        double bound = C * n * U * Math.Max(Frobenius(a), double.Epsilon);
        Assert.True(Difference(av, vl) <= bound, $"||A V - V L|| = {Difference(av, vl)} > {bound}");
        Assert.True(Orthogonality(vectors, n, n) <= C * n * U, $"||V^T V - I|| = {Orthogonality(vectors, n, n)}");
        for (int k = 1; k < n; k++) Assert.True(values[k - 1] <= values[k]);
    }

    /// <summary>sum over eigenpairs of ||A v - lambda v||^2 (complex pairs in complex arithmetic) against (c n u ||A||)^2 n.</summary>
    private static void AssertEigenBackwardStable(double[] a, int n, RealEigenResult eigen)
    {
        var av = DenseMatrix.Multiply(a, n, n, eigen.Vectors, n);
        double worst = 0;
        for (int k = 0; k < n; k++)
        {
            double residual = 0, norm = 0;
            if (eigen.IsReal(k))
            {
                for (int i = 0; i < n; i++)
                {
                    double r = av[i * n + k] - eigen.Real[k] * eigen.Vectors[i * n + k];
                    residual += r * r;
                    norm += eigen.Vectors[i * n + k] * eigen.Vectors[i * n + k];
                }
            }
            else
            {
                // columns (x, y) of the pair's first value: A (x + i y) = (re + i im)(x + i y)
                int first = eigen.Imaginary[k] > 0 ? k : k - 1;
                double re = eigen.Real[first], im = eigen.Imaginary[first];
                for (int i = 0; i < n; i++)
                {
                    double x = eigen.Vectors[i * n + first], y = eigen.Vectors[i * n + first + 1];
                    double rr = av[i * n + first] - (re * x - im * y), ri = av[i * n + first + 1] - (re * y + im * x);
                    residual += rr * rr + ri * ri;
                    norm += x * x + y * y;
                }
            }
            Assert.True(Math.Abs(norm - 1) <= C * n * U, $"eigenvector {k} has norm^2 {norm}");
            worst = Math.Max(worst, Math.Sqrt(residual));
        }
        double bound = C * n * U * Math.Max(Frobenius(a), double.Epsilon);
        Assert.True(worst <= bound, $"max ||A v - lambda v|| = {worst} > {bound}");
    }

    private static void AssertSvdBackwardStable(double[] a, int rows, int columns, SvdResult svd)
    {
        int k = Math.Min(rows, columns);
        var us = Scale(svd.U, rows, svd.Values);
        var rebuilt = DenseMatrix.MultiplyTransposed(us, rows, k, svd.V, columns);
        // Jacobi: every sweep applies k - 1 rotations to each column (Higham's Lemma 19.9: r rotations, error r u)
        double size = (svd.Sweeps + 1) * Math.Max(rows, columns);
        Assert.True(Difference(rebuilt, a) <= C * size * U * Math.Max(Frobenius(a), double.Epsilon), $"||A - U S V^T|| = {Difference(rebuilt, a)}");
        Assert.True(Orthogonality(svd.U, rows, k) <= C * size * U, $"||U^T U - I|| = {Orthogonality(svd.U, rows, k)}, {svd.Sweeps} sweeps");
        Assert.True(Orthogonality(svd.V, columns, k) <= C * size * U, $"||V^T V - I|| = {Orthogonality(svd.V, columns, k)}, {svd.Sweeps} sweeps");
        for (int r = 1; r < k; r++) Assert.True(svd.Values[r - 1] >= svd.Values[r]);
    }

    /// <summary>||Q^T Q - I||_F for the rows x columns Q.</summary>
    private static double Orthogonality(double[] q, int rows, int columns)
    {
        var gram = DenseMatrix.Multiply(DenseMatrix.Transpose(q, rows, columns), columns, rows, q, columns);
        for (int i = 0; i < columns; i++) gram[i * columns + i] -= 1;
        return Frobenius(gram);
    }

    /// <summary>Columns of the rows x k A scaled by s.</summary>
    private static double[] Scale(double[] a, int rows, double[] s)
    {
        int k = s.Length;
        var result = new double[rows * k];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < k; j++) result[i * k + j] = a[i * k + j] * s[j];
        return result;
    }

    /// <summary>The rounding of forming Q1 diag(l) Q2^T: two products of n terms, |error| &lt;= 2 n u |Q1|_F |Q2|_F max |l|.</summary>
    private static double Formed(int n, double[] q1, double[] q2, double largest) => 2 * n * U * Frobenius(q1) * Frobenius(q2) * largest;

    private static double[] FromEigen(double[] q, double[] lambda, int n) => DenseMatrix.MultiplyTransposed(Scale(q, n, lambda), n, n, q, n);

    /// <summary>A random orthogonal n x n matrix (Q of a Gaussian matrix).</summary>
    private static double[] Orthogonal(int n, ulong seed) => HouseholderQr.Decompose(Random(n * n, seed), n, n).Q;

    private static double[] Symmetric(double[] a, int n) => DenseMatrix.Symmetrize(a, n);

    private static double[] Inverse(double[] a, int n)
    {
        var identity = new double[n * n];
        for (int i = 0; i < n; i++) identity[i * n + i] = 1;
        return DenseMatrix.LeastSquares(a, n, n, identity, n);
    }

    private static double Frobenius(ReadOnlySpan<double> a) => Math.Sqrt(SumSquares(a));

    private static double SumSquares(ReadOnlySpan<double> a)
    {
        double s = 0;
        foreach (double v in a) s += v * v;
        return s;
    }

    private static double Difference(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
    }

    private static double[] Random(int count, ulong seed)
    {
        var values = new double[count];
        new CounterGaussian(seed, key: 0xDE45E).Fill(0, values);
        return values;
    }
}
