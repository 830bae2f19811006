/** The host a CrowdStrike event happened on: its name when the export carries one, else the agent id. */
export const crowdstrikeHost = { firstOf: ['ComputerName', 'aid_computer_name', 'aid'] } as const;
