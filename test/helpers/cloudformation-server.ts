/**
 * A local server answering CloudFormation's DescribeStacks in its query
 * protocol (form-encoded Action=DescribeStacks, XML answer), for the CLI's
 * --function-stack: it knows the stacks it is given and their outputs, and
 * answers others with the ValidationError CloudFormation gives.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CloudFormationServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startCloudFormationServer(stacks: Readonly<Record<string, Readonly<Record<string, string>>>>): Promise<CloudFormationServer> {
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const requestId = randomUUID();
      const xml = (status: number, body: string): void => { response.writeHead(status, { 'content-type': 'text/xml' }).end(`<?xml version="1.0"?>\n${body}`); };
      const error = (code: string, message: string): void => xml(400, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
      if (form.get('Action') !== 'DescribeStacks') return error('InvalidAction', `unsupported action ${form.get('Action') ?? ''}`);
      const name = form.get('StackName') ?? '';
      const outputs = stacks[name];
      if (outputs === undefined) return error('ValidationError', `Stack with id ${name} does not exist`);
      const members = Object.entries(outputs).map(([key, value]) => `<member><OutputKey>${escape(key)}</OutputKey><OutputValue>${escape(value)}</OutputValue></member>`).join('');
      return xml(200, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${escape(name)}</StackName><StackId>arn:aws:cloudformation:us-east-1:111122223333:stack/${escape(name)}/${requestId}</StackId><CreationTime>2026-12-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeStacksResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
