import request from 'supertest';

export interface Guest {
  user_id: string;
  token: string;
  auth: { Authorization: string };
}

/** A fresh anonymous identity on the app at `url`. */
export async function newGuest(url: string): Promise<Guest> {
  const res = await request(url).post('/api/auth/guest').expect(201);
  return { ...res.body, auth: { Authorization: `Bearer ${res.body.token}` } };
}
