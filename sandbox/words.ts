// Word lists for the fake catalogue. A few names carry diacritics on purpose, so that matching code
// meets "Zoë" and "Björn" as it would on Spotify.

export const FIRST_NAMES = [
  'Ada', 'Alex', 'Amara', 'Ben', 'Björn', 'Carla', 'Chloe', 'Dario', 'Dev', 'Elena', 'Ezra', 'Farah',
  'Finn', 'Grace', 'Hana', 'Ines', 'Isaac', 'Jade', 'José', 'Kai', 'Lena', 'Leo', 'Luca', 'Maya',
  'Mila', 'Nia', 'Noah', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Sigrún', 'Tariq', 'Theo', 'Uma',
  'Vera', 'Wren', 'Yara', 'Zoë',
] as const;

export const LAST_NAMES = [
  'Adams', 'Baker', 'Bennett', 'Cruz', 'Dahl', 'Ekström', 'Fischer', 'Garcia', 'Hayes', 'Ito',
  'Jensen', 'Kowalski', 'Lindqvist', 'Moreau', 'Nakamura', 'Novak', 'Okafor', 'Park', 'Quinlan',
  'Reyes', 'Rossi', 'Santos', 'Schmidt', 'Silva', 'Tanaka', 'Turner', 'Vance', 'Walsh', 'Wilde', 'Young',
] as const;

export const ADJECTIVES = [
  'Electric', 'Golden', 'Silent', 'Broken', 'Velvet', 'Neon', 'Paper', 'Wild', 'Hollow', 'Crimson',
  'Midnight', 'Lonely', 'Burning', 'Frozen', 'Sweet', 'Blue', 'Violet', 'Restless', 'Distant', 'Secret',
  'Silver', 'Dancing', 'Falling', 'Endless', 'Quiet', 'Little', 'Brave', 'Strange', 'Gentle', 'Heavy',
  'Bright', 'Dark', 'Open', 'Lost', 'Last', 'First', 'Young', 'Cold', 'Summer', 'Winter',
] as const;

export const NOUNS = [
  'Heart', 'Rain', 'Fire', 'City', 'River', 'Dream', 'Night', 'Sky', 'Road', 'Light', 'Ocean', 'Star',
  'Shadow', 'Garden', 'Mirror', 'Storm', 'Echo', 'Wave', 'Moon', 'Sun', 'Highway', 'Horizon', 'Window',
  'Letter', 'Promise', 'Memory', 'Island', 'Mountain', 'Signal', 'Ghost', 'Paradise', 'Harbor', 'Forest',
  'Diamond', 'Thunder', 'Satellite', 'Avenue', 'Kingdom', 'Lullaby', 'Fever', 'Gravity', 'Winter',
  'Morning', 'Daylight', 'Skyline', 'Melody', 'Heartbeat', 'Runaway', 'Wildfire', 'Feather',
] as const;

export const BAND_NOUNS = [
  'Wolves', 'Lanterns', 'Tides', 'Strangers', 'Pilots', 'Comets', 'Ravens', 'Machines', 'Giants',
  'Sparrows', 'Foxes', 'Saints', 'Vultures', 'Kids', 'Hearts', 'Arrows', 'Echoes', 'Owls', 'Rebels', 'Waves',
] as const;

export const TITLE_PHRASES = [
  'Hold On', 'Let Me Go', 'Stay', 'Take Me Home', 'Run Away', 'Come Back', 'Dance With Me',
  'All Night', 'Never Enough', 'Say It Again', 'Call My Name', 'Fall Apart', 'Into the Blue',
  'Over Again', 'One More Time', 'Where You Are', 'Before the Dawn', 'Out of Time', 'Till the End',
  "Don't Look Back", 'I Remember', 'Go Slow', 'Keep Me Close', 'Slow Down',
] as const;

export const LIVE_VENUES = [
  'Wembley', 'Madison Square Garden', 'Red Rocks', 'the Royal Albert Hall', 'Glastonbury', 'the Olympia',
] as const;

export const ISRC_COUNTRIES = ['US', 'GB', 'DE', 'FR', 'SE', 'NL', 'CA', 'AU', 'JP', 'BR'] as const;
