import { silentLogger, type Logger } from '@keyledger/domain';
import type { Commit } from '@keyledger/event-store';
import type { EventPublisher, IntegrationEvent } from '@keyledger/events';
import { integrationEventsFromCommit } from './integrationEvents';

/**
 * Publishes committed events, whichever way the commits arrive (a DynamoDB stream batch or the
 * local catch-up reader), and says which commits did not make it onto the bus in full.
 */
export class CommitPublisher {
  private readonly logger: Logger;

  constructor(private readonly options: { publisher: EventPublisher; logger?: Logger }) {
    this.logger = options.logger ?? silentLogger;
  }

  async publish(commits: readonly Commit[]): Promise<{ failedCommits: Commit[]; published: number }> {
    const failedCommits = new Set<Commit>();
    const owner = new Map<string, Commit>();
    const events: IntegrationEvent[] = [];
    for (const commit of commits) {
      try {
        for (const event of integrationEventsFromCommit(commit)) {
          owner.set(event.detail.event_id, commit);
          events.push(event);
        }
      } catch (error) {
        // A commit whose events break the public schema is a bug: it must not reach consumers.
        this.logger.error('commit does not translate to valid integration events', {
          streamId: commit.streamId,
          version: commit.version,
          error: (error as Error).message,
        });
        failedCommits.add(commit);
      }
    }
    const { failed } = events.length > 0 ? await this.options.publisher.publish(events) : { failed: [] };
    for (const failure of failed) {
      const commit = owner.get(failure.event.detail.event_id);
      if (commit) failedCommits.add(commit);
    }
    if (failed.length > 0) {
      this.logger.warn('events not published', {
        failed: failed.length,
        errorCodes: [...new Set(failed.map((failure) => failure.errorCode))],
      });
    }
    return { failedCommits: commits.filter((commit) => failedCommits.has(commit)), published: events.length - failed.length };
  }
}
