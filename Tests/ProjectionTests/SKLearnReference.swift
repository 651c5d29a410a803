/// Values written down once from scikit-learn (see each test for the exact call and versions).
enum SKLearnReference {
    struct Small {
        var components: [Double]
        var explainedVariance: [Double]
        var explainedVarianceRatio: [Double]
        var singularValues: [Double]
        var firstTwoRows: [Double]
    }

    /// scikit-learn 1.9.1, NumPy 2.4.6: `PCA(n_components=2).fit(X)` on the 10×3 X of
    /// `PCATests.scikitLearnReference`, then `transform(X)[:2]`.
    static let small = Small(
        components: [0.6270344950047599, 0.6857449090420923, -0.3695695628660154,
                     0.7775665937920986, -0.5222860526426141, 0.35015349696033293],
        explainedVariance: [1.4838628592448402, 0.05476048460244761],
        explainedVarianceRatio: [0.955139875068199, 0.03524848815777631],
        singularValues: [3.654417290513436, 0.702028746862996],
        firstTwoRows: [0.9017138496156756, 0.15454552501594698, -1.8876910486314167, -0.16254787611547317])
}
