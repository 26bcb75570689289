using System.Net;

namespace Safehold.Web.Tests.Operations;

/// <summary>Every answer says which request it was (<c>Request-Id</c>); a problem body carries the same id as <c>traceId</c>.</summary>
public sealed class RequestIdTests(SafeholdApp app) : IClassFixture<SafeholdApp>
{
    private static string RequestId(HttpResponseMessage response) =>
        Assert.Single(response.Headers.GetValues("Request-Id"));

    [Theory]
    [InlineData("/api/v1/users/me")]
    [InlineData("/signin")]
    [InlineData("/health/live")]
    [InlineData("/openapi/v1.json")]
    public async Task Every_answer_carries_a_Request_Id(string path)
    {
        var first = RequestId(await app.Admin.GetAsync(path));
        var second = RequestId(await app.Admin.GetAsync(path));
        Assert.NotEmpty(first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task A_problem_names_the_same_request_as_its_Request_Id()
    {
        var response = await app.Admin.GetAsync($"/api/v1/orders/{Guid.NewGuid()}");
        var problem = await Api.ExpectProblem(response, HttpStatusCode.NotFound, "not_found");
        Assert.Equal(RequestId(response), problem["traceId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failure_the_exception_handler_answers_keeps_its_Request_Id()
    {
        var response = await app.Admin.PostAsync("/api/v1/products", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        var problem = await Api.ExpectProblem(response, HttpStatusCode.BadRequest, "malformed_request");
        Assert.Equal(RequestId(response), problem["traceId"]!.GetValue<string>());
    }
}
