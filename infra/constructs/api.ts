/**
 * The REST API (v1) proxying every path and method to the http function of the wiring table,
 * with access logs, stage throttling, an optional WAF web ACL, and API Gateway's own answers in
 * the contract's error shape.
 */
import { RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { StageSettings } from '../settings.ts';
import { pascal, Section } from './section.ts';

/**
 * API Gateway's own responses, shaped as the contract's errors (CONTRACT.md section 3). `status`
 * absent: the gateway's own status is kept (the DEFAULT_4XX/5XX catch-alls).
 */
export const GATEWAY_RESPONSES: readonly { type: apigw.ResponseType; status?: number; code: string; message: string }[] = [
  { type: apigw.ResponseType.DEFAULT_4XX, code: 'BAD_REQUEST', message: 'the request was refused by the API gateway' },
  { type: apigw.ResponseType.DEFAULT_5XX, code: 'UNAVAILABLE', message: 'the API is not available; retry later' },
  { type: apigw.ResponseType.THROTTLED, status: 429, code: 'THROTTLED', message: 'too many requests; retry later' },
  { type: apigw.ResponseType.QUOTA_EXCEEDED, status: 429, code: 'THROTTLED', message: 'request quota exceeded; retry later' },
  { type: apigw.ResponseType.REQUEST_TOO_LARGE, status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  {
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    code: 'TIMEOUT',
    message: 'the request took too long; retry later (reports are idempotent)',
  },
  {
    type: apigw.ResponseType.INTEGRATION_FAILURE,
    status: 502,
    code: 'BAD_GATEWAY',
    message: 'the API function failed or its answer was too large; retry later or ask for less',
  },
  { type: apigw.ResponseType.ACCESS_DENIED, status: 403, code: 'FORBIDDEN', message: 'access denied' },
  {
    type: apigw.ResponseType.WAF_FILTERED,
    status: 403,
    code: 'FORBIDDEN',
    message: 'the request was blocked by the web application firewall',
  },
  {
    type: apigw.ResponseType.UNAUTHORIZED,
    status: 401,
    code: 'UNAUTHORIZED',
    message: 'a valid API key is required in the x-api-key header',
  },
  { type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, status: 404, code: 'NOT_FOUND', message: 'no such route' },
  { type: apigw.ResponseType.RESOURCE_NOT_FOUND, status: 404, code: 'NOT_FOUND', message: 'no such route' },
  { type: apigw.ResponseType.BAD_REQUEST_BODY, status: 400, code: 'VALIDATION', message: 'the request body is not valid' },
  { type: apigw.ResponseType.BAD_REQUEST_PARAMETERS, status: 400, code: 'VALIDATION', message: 'a request parameter is not valid' },
  { type: apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' },
];

/** The mapping template of a gateway response: the contract's body, with the gateway's request id. */
export function gatewayErrorTemplate(code: string, message: string): string {
  return JSON.stringify({ error: { code, message, requestId: '$context.requestId' } });
}

export interface ApiProps {
  handler: lambda.IFunction;
  settings: StageSettings;
  removalPolicy: RemovalPolicy;
}

export class Api extends Section {
  readonly restApi: apigw.LambdaRestApi;

  constructor(scope: Construct, id: string, { handler: f, settings: s, removalPolicy }: ApiProps) {
    super(scope, id);
    const accessLogGroup = new logs.LogGroup(this, 'ApiAccessLogs', { retention: s.logRetentionDays, removalPolicy });
    const api = (this.restApi = new apigw.LambdaRestApi(this, 'Api', {
      handler: f,
      proxy: true,
      description: `ngsp-stats ${s.stage} API (CONTRACT.md section 3)`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      minCompressionSize: Size.kibibytes(1),
      cloudWatchRole: s.apiGatewayCloudWatchRole,
      // The role is account-wide: keep it when this stack goes, other APIs may rely on it.
      cloudWatchRoleRemovalPolicy: s.apiGatewayCloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: s.stage,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // bodies carry exchange events: never into logs
        metricsEnabled: true,
        throttlingRateLimit: s.apiRateLimit,
        throttlingBurstLimit: s.apiBurstLimit,
      },
    }));
    this.gatewayResponses(api);
    const noAuth =
      'API keys (x-api-key) are checked by the api function against SHA-256 hashes in the Keys table, with lgsp/analyst/ops roles and a per-LGSP DynamoDB rate counter (CONTRACT.md section 3); GET / and /v1/health are public by contract. A Cognito or IAM authorizer would not fit LGSP machine clients.';
    Validations.of(api.root).acknowledge({ id: 'AwsSolutions-APIG4', reason: noAuth });
    Validations.of(api.root).acknowledge({ id: 'AwsSolutions-COG4', reason: noAuth });
    Validations.of(api.node.defaultChild!).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Proxy integration: the api function validates every request against the event JSON Schema and names the bad field in a 400 (CONTRACT.md section 1); an API Gateway model would duplicate that schema.',
    });
    if (s.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'ApiWebAcl', { resourceArn: api.deploymentStage.stageArn, webAclArn: s.webAclArn });
    } else {
      Validations.of(api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL by default (fixed monthly cost per stage); traffic is limited by stage throttling and per-LGSP limits in the function. Pass -c webAclArn=<regional web ACL ARN> to associate one.',
      });
    }
    if (s.apiGatewayCloudWatchRole) {
      const role = api.node.findChild('CloudWatchRole');
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-wide API Gateway logging role: AWS maintains this service-role policy for exactly this purpose (REST API execution and access logs).',
      });
    }
  }

  /**
   * API Gateway's own answers (throttling, bodies it refuses, timeouts, the function's 6 MB
   * limit, ...) in the contract's shape `{"error": {"code", "message"}}` with its status codes.
   */
  private gatewayResponses(api: apigw.RestApi): void {
    for (const r of GATEWAY_RESPONSES) {
      api.addGatewayResponse(
        `Gateway${r.type.responseType
          .split('_')
          .map((w) => pascal(w.toLowerCase()))
          .join('')}`,
        {
          type: r.type,
          ...(r.status ? { statusCode: String(r.status) } : {}),
          responseHeaders: { 'Content-Type': "'application/json; charset=utf-8'", 'Cache-Control': "'no-store'" },
          templates: { 'application/json': gatewayErrorTemplate(r.code, r.message) },
        },
      );
    }
  }
}
