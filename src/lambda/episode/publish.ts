/** PutEvents to the stack's event bus; a rejected entry is an error (the message is retried and publishes again). */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from './outcome.js';

export type Publish = (detailType: string, detail: object, resources?: readonly string[]) => Promise<void>;

export function eventPublisher(client: EventBridgeClient, eventBusName: string): Publish {
  return async (detailType, detail, resources = []) => {
    const response = await client.send(new PutEventsCommand({
      Entries: [{ EventBusName: eventBusName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: [...resources] }],
    }));
    const entry = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode !== undefined) {
      throw new Error(`EventBridge refused the "${detailType}" event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  };
}
